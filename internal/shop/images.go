package shop

import (
	"bytes"
	"hash/fnv"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
)

// Product images are generated, not committed: deterministic 800x600 JPEGs
// of a few tens of KB, so that a product page's hero image (its LCP
// element) costs what a real one does.
const (
	imageWidth   = 800
	imageHeight  = 600
	imageQuality = 80
	// imageGrain is the amplitude of the per-pixel noise. Without it a
	// gradient compresses to a few KB; with it the images weigh about 55 KB.
	imageGrain = 6
)

// productImage renders the image of p: a diagonal gradient in the product's
// hue with a "cup from above" of concentric rings, and film grain.
func productImage(p product) []byte {
	img := image.NewRGBA(image.Rect(0, 0, imageWidth, imageHeight))
	h := fnv.New64a()
	_, _ = h.Write([]byte(p.Slug))
	rng := h.Sum64() | 1 // xorshift state, never zero

	dark := hsl(p.hue, 0.55, 0.30)
	light := hsl(p.hue+35, 0.60, 0.72)
	accent := hsl(p.hue+180, 0.35, 0.55)
	cx, cy := float64(imageWidth)*0.5, float64(imageHeight)*0.52
	radius := float64(imageHeight) * 0.36

	for y := range imageHeight {
		row := img.Pix[y*img.Stride:]
		for x := range imageWidth {
			t := float64(x+y) / float64(imageWidth+imageHeight)
			c := mix(dark, light, t)
			dx, dy := float64(x)-cx, float64(y)-cy
			if d := math.Hypot(dx, dy); d < radius {
				// Rings, lighter towards the rim, and a crema-like swirl.
				ring := 0.5 + 0.5*math.Sin(d/7+math.Atan2(dy, dx)*2)
				c = mix(mix(dark, accent, d/radius), light, 0.25*ring)
			} else if d < radius*1.08 {
				c = mix(light, color.RGBA{255, 255, 255, 255}, 0.7) // the rim
			}
			rng ^= rng << 13
			rng ^= rng >> 7
			rng ^= rng << 17
			grain := int(rng%(2*imageGrain+1)) - imageGrain
			i := x * 4
			row[i+0] = clamp8(int(c.R) + grain)
			row[i+1] = clamp8(int(c.G) + grain)
			row[i+2] = clamp8(int(c.B) + grain)
			row[i+3] = 255
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: imageQuality}); err != nil {
		panic("encode product image: " + err.Error()) // writes to memory cannot fail
	}
	return buf.Bytes()
}

// favicon renders a 16x16 icon (a coffee-brown "bean") as an ICO file
// holding one PNG, which every current browser reads.
func favicon() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	bean := hsl(28, 0.55, 0.30)
	for y := range 16 {
		for x := range 16 {
			dx, dy := float64(x)-7.5, float64(y)-7.5
			if dx*dx/49+dy*dy/36 <= 1 && math.Abs(dx-dy*0.3) > 0.8 {
				img.Set(x, y, bean)
			}
		}
	}
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, img); err != nil {
		panic("encode favicon: " + err.Error())
	}
	n := pngBuf.Len()
	ico := []byte{
		0, 0, 1, 0, 1, 0, // reserved, type icon, one image
		16, 16, 0, 0, 1, 0, 32, 0, // 16x16, no palette, 1 plane, 32 bpp
		byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24), // size
		22, 0, 0, 0, // offset of the PNG: right after this header
	}
	return append(ico, pngBuf.Bytes()...)
}

// hsl converts hue (degrees), saturation and lightness (0..1) to RGB.
func hsl(h, s, l float64) color.RGBA {
	h = math.Mod(h, 360) / 60
	c := (1 - math.Abs(2*l-1)) * s
	x := c * (1 - math.Abs(math.Mod(h, 2)-1))
	var r, g, b float64
	switch int(h) {
	case 0:
		r, g, b = c, x, 0
	case 1:
		r, g, b = x, c, 0
	case 2:
		r, g, b = 0, c, x
	case 3:
		r, g, b = 0, x, c
	case 4:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	m := l - c/2
	return color.RGBA{uint8((r + m) * 255), uint8((g + m) * 255), uint8((b + m) * 255), 255}
}

// mix blends a towards b by t in 0..1.
func mix(a, b color.RGBA, t float64) color.RGBA {
	t = max(0, min(1, t))
	f := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*t) }
	return color.RGBA{f(a.R, b.R), f(a.G, b.G), f(a.B, b.B), 255}
}

func clamp8(v int) uint8 {
	return uint8(max(0, min(255, v)))
}
