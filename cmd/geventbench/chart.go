package main

import (
	"errors"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// implColors keeps an implementation's color the same in every group.
var implColors = map[string]color.Color{
	kindGevent: color.RGBA{R: 232, G: 125, B: 30, A: 255},
	kindOurs:   color.RGBA{R: 31, G: 119, B: 180, A: 255},
	"errgroup": color.RGBA{R: 44, G: 160, B: 44, A: 255},
	"conc":     color.RGBA{R: 148, G: 103, B: 189, A: 255},
	"ants":     color.RGBA{R: 140, G: 86, B: 75, A: 255},
	"pond":     color.RGBA{R: 23, G: 160, B: 180, A: 255},
}

// bar is one implementation's cost on one operation, relative to raw Go.
type bar struct {
	impl  string
	ratio float64
	y     float64 // center, in data units
}

// barGroup is one operation: its bars, top to bottom.
type barGroup struct {
	label string
	bars  []bar
}

// chartGroups turns the report into bar groups: per row, every
// implementation with a figure, as its cost relative to raw Go. Rows without
// a raw-Go figure have nothing to be relative to and are left out.
func chartGroups(rep *report) []barGroup {
	var gs []barGroup
	for _, rr := range rep.Rows {
		g := barGroup{label: rr.Bench}
		for _, r := range rr.Results {
			if r.Kind == kindRaw {
				continue
			}
			if q := rr.costRatio(r.Impl, kindRaw); q != nil {
				g.bars = append(g.bars, bar{impl: r.Impl, ratio: *q})
			}
		}
		if len(g.bars) > 0 {
			gs = append(gs, g)
		}
	}
	return gs
}

// ratioBars draws horizontal bars on a log axis, from the raw-Go line
// (x = 1) to each ratio, so a bar's length is how many times slower (right)
// or faster (left) than raw Go an implementation is.
type ratioBars struct {
	groups []barGroup
	top    float64 // y of the first bar's top edge
	label  draw.TextStyle
}

const barHeight = 1.0 // data units; groups are one bar apart

func newRatioBars(gs []barGroup, label draw.TextStyle) *ratioBars {
	rb := &ratioBars{groups: gs, label: label}
	y := 0.0
	for i := len(gs) - 1; i >= 0; i-- { // bottom-up, so the first row is on top
		for j := len(gs[i].bars) - 1; j >= 0; j-- {
			gs[i].bars[j].y = y + barHeight/2
			y += barHeight
		}
		y += barHeight
	}
	rb.top = y - barHeight
	return rb
}

// Plot implements plot.Plotter.
func (rb *ratioBars) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	x1 := trX(1)
	for _, g := range rb.groups {
		for _, b := range g.bars {
			xe := trX(b.ratio)
			y0, y1 := trY(b.y-0.42*barHeight), trY(b.y+0.42*barHeight)
			c.FillPolygon(implColors[b.impl], c.ClipPolygonXY([]vg.Point{{X: x1, Y: y0}, {X: xe, Y: y0}, {X: xe, Y: y1}, {X: x1, Y: y1}}))
			sty := rb.label
			sty.YAlign = draw.YCenter
			pt := vg.Point{X: xe + vg.Points(3), Y: trY(b.y)}
			sty.XAlign = draw.XLeft
			if b.ratio < 1 {
				pt.X = xe - vg.Points(3)
				sty.XAlign = draw.XRight
			}
			c.FillText(sty, pt, ratioText(b.ratio))
		}
	}
	// The raw-Go line over the bars' roots.
	line := draw.LineStyle{Color: color.Black, Width: vg.Points(1.2)}
	c.StrokeLine2(line, x1, c.Min.Y, x1, c.Max.Y)
}

// DataRange implements plot.DataRanger: the bars, their labels' room, and 1.
func (rb *ratioBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = 1, 1
	for _, g := range rb.groups {
		for _, b := range g.bars {
			xmin, xmax = math.Min(xmin, b.ratio), math.Max(xmax, b.ratio)
		}
	}
	return xmin / 2, xmax * 3, -barHeight / 2, rb.top + barHeight/2
}

// ticks labels the y axis with the operations.
func (rb *ratioBars) ticks() plot.ConstantTicks {
	var ts plot.ConstantTicks
	for _, g := range rb.groups {
		mid := (g.bars[0].y + g.bars[len(g.bars)-1].y) / 2
		ts = append(ts, plot.Tick{Value: mid, Label: g.label})
	}
	return ts
}

// ratioTicks are 1-2-5 steps, readable on a log axis spanning 0.1x-100x.
type ratioTicks struct{}

func (ratioTicks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v < min || v > max {
				continue
			}
			ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64) + "x"})
		}
	}
	return ts
}

// swatch is a legend entry's colored box.
type swatch struct{ color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(s.Color, []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}})
}

// rawLine is the legend entry of the raw-Go line.
type rawLine struct{}

func (rawLine) Thumbnail(c *draw.Canvas) {
	x := (c.Min.X + c.Max.X) / 2
	c.StrokeLine2(draw.LineStyle{Color: color.Black, Width: vg.Points(1.2)}, x, c.Min.Y, x, c.Max.Y)
}

// writeChart renders the report's chart as a PNG.
func writeChart(w io.Writer, rep *report) error {
	gs := chartGroups(rep)
	if len(gs) == 0 {
		return errors.New("chart: no row has both a raw-Go figure and another")
	}
	p := plot.New()
	sans := font.Font{Typeface: "Liberation", Variant: "Sans"}
	for _, sty := range []*draw.TextStyle{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		sty.Font.Typeface, sty.Font.Variant = sans.Typeface, sans.Variant
	}
	p.Title.Text = "Cost per operation relative to raw Go (log scale; left of the line: faster than raw Go)"
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.X.Label.Text = "cost ÷ raw Go's cost (time or bytes per op; 1/rate for echo_server), median of each"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = ratioTicks{}
	label := p.Y.Tick.Label
	label.Font.Size = vg.Points(8)
	rb := newRatioBars(gs, label)
	p.Y.Tick.Marker = rb.ticks()
	p.Y.Tick.Length = 0
	p.Y.Padding = 0
	grid := plotter.NewGrid()
	grid.Horizontal.Color = nil
	grid.Vertical.Color = color.Gray{Y: 215}
	p.Add(grid, rb)
	seen := map[string]bool{}
	for _, g := range gs {
		for _, b := range g.bars {
			if !seen[b.impl] {
				seen[b.impl] = true
				p.Legend.Add(implLabel(rep, b.impl), swatch{implColors[b.impl]})
			}
		}
	}
	p.Legend.Add("raw Go (= 1)", rawLine{})
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.XOffs = -vg.Points(6)
	p.Legend.YOffs = vg.Points(6)
	bars := 0
	for _, g := range gs {
		bars += len(g.bars) + 1
	}
	height := vg.Length(bars)*vg.Points(12) + vg.Inch
	c := vgimg.NewWith(vgimg.UseWH(9*vg.Inch, height), vgimg.UseDPI(144))
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	p.Draw(draw.Crop(dc, vg.Points(6), -vg.Points(6), vg.Points(2), -vg.Points(2)))
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}

// implLabel is the legend text of an implementation: its label, and its
// version where the report knows it.
func implLabel(rep *report, id string) string {
	for _, rr := range rep.Rows {
		if r := rr.get(id); r != nil {
			switch {
			case id == kindGevent && rep.Machine.Gevent != "":
				return "gevent " + rep.Machine.Gevent
			case rep.Machine.Peers[id] != "":
				_, version, _ := strings.Cut(rep.Machine.Peers[id], "@")
				return r.Label + " " + version
			}
			return r.Label
		}
	}
	return id
}
