package rollup

import "github.com/DataDog/sketches-go/ddsketch"

func newSketchWithAccuracy(a float64) (*ddsketch.DDSketch, error) {
	return ddsketch.LogUnboundedDenseDDSketch(a)
}
