package shop

import "fmt"

// product is one item of the catalog. Prices are in cents.
type product struct {
	Slug        string
	Name        string
	Price       int
	Description string
	hue         float64 // base hue of the generated product image, 0..360
}

// PriceText formats the price for display.
func (p product) PriceText() string { return money(p.Price) }

// ImageURL is the path of the product's generated image.
func (p product) ImageURL() string { return "/static/img/" + p.Slug + ".jpg" }

// catalog is the shop's fixed product list, in display order. Browser checks
// select the product named "Coffee" by its text, so it must stay the only
// name containing that word.
var catalog = []product{
	{Slug: "coffee", Name: "Coffee", Price: 1400, hue: 28,
		Description: "Single-origin beans from Huila, Colombia, roasted every Tuesday. Notes of cocoa, red apple and cane sugar. 250 g, whole bean."},
	{Slug: "tea", Name: "Tea", Price: 950, hue: 95,
		Description: "First-flush loose-leaf Darjeeling from a single estate. Bright, floral and light. 100 g tin."},
	{Slug: "mug", Name: "Mug", Price: 1200, hue: 205,
		Description: "Stoneware mug, 350 ml, glazed by hand in small batches. Dishwasher safe."},
	{Slug: "grinder", Name: "Grinder", Price: 6500, hue: 0,
		Description: "Conical steel burr hand grinder with 40 click settings, from espresso to cold brew."},
	{Slug: "kettle", Name: "Kettle", Price: 4800, hue: 265,
		Description: "Gooseneck pour-over kettle, 1 litre, with a built-in thermometer."},
	{Slug: "filters", Name: "Filter Papers", Price: 600, hue: 50,
		Description: "100 unbleached paper filters for two-cup cone drippers."},
}

// productBySlug returns the catalog entry for slug.
func productBySlug(slug string) (product, bool) {
	for _, p := range catalog {
		if p.Slug == slug {
			return p, true
		}
	}
	return product{}, false
}

// money formats cents as dollars, e.g. "$14.00".
func money(cents int) string {
	return fmt.Sprintf("$%d.%02d", cents/100, cents%100)
}
