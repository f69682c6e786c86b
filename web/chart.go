package web

import "coopbot/text"

// A horizontal bar chart drawn on the server as SVG (no script, nothing from outside;
// printable), laid out right to left: the labels on the right, the bars growing leftwards,
// each bar's number at its end. The same numbers are always shown in a table beside it.

// Chart geometry, in SVG user units.
const (
	chartWidth  = 640
	chartRow    = 28
	chartLabels = 190 // room for the labels on the right
	chartBarMax = 380 // the longest bar
	chartPad    = 8
)

type chart struct {
	Bars          []bar
	Width, Height int
	LabelX, BarX  int // where the labels end (right edge) and where the bars start
	Empty         bool
}

type bar struct {
	Label string
	N     int
	Num   string // N in Persian digits
	// Geometry, filled by newChart.
	Y, TextY, X, W, NumX int
}

func newChart(bars []bar) *chart {
	c := &chart{Bars: bars, Width: chartWidth, Height: chartPad*2 + chartRow*max(1, len(bars)),
		LabelX: chartWidth - chartPad, BarX: chartWidth - chartLabels}
	most := 0
	for _, b := range bars {
		most = max(most, b.N)
	}
	c.Empty = most == 0
	for i := range c.Bars {
		b := &c.Bars[i]
		b.Y = chartPad + i*chartRow + 4
		b.TextY = chartPad + i*chartRow + chartRow/2 + 5
		if most > 0 {
			b.W = b.N * chartBarMax / most
		}
		if b.N > 0 && b.W < 2 {
			b.W = 2
		}
		b.Num = text.Number(int64(b.N))
		b.X = c.BarX - b.W
		b.NumX = b.X - 6
	}
	return c
}
