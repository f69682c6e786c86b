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

func newChart(bars []bar) *chart { return newScaledChart(bars, 0) }

// newScaledChart draws bars against a full length of scale (a percentage against 100), or
// of the largest bar when that is longer.
func newScaledChart(bars []bar, scale int) *chart {
	c := &chart{Bars: bars, Width: chartWidth, Height: chartPad*2 + chartRow*max(1, len(bars)),
		LabelX: chartWidth - chartPad, BarX: chartWidth - chartLabels}
	most := 0
	for _, b := range bars {
		most = max(most, b.N)
	}
	c.Empty = most == 0
	most = max(most, scale)
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
		if b.Num == "" {
			b.Num = text.Number(int64(b.N))
		}
		b.X = c.BarX - b.W
		b.NumX = b.X - 6
	}
	return c
}

// A column chart of a series in time (weeks), drawn right to left like the page: the
// oldest column on the right, the latest on the left, each with its number above it and
// its label below.

const (
	colsHeight = 170 // the whole chart
	colsPlot   = 110 // the tallest column
	colsTop    = 22  // room for the numbers above the columns
)

type columns struct {
	Title         string
	Cols          []column
	Width, Height int
	Base          int // the y of the columns' foot
	Empty         bool
}

type column struct {
	Label string
	N     int
	Num   string
	// Geometry, filled by newColumns.
	X, Y, W, H, MidX, NumY, LabelY int
}

func newColumns(title string, cols []column) *columns {
	c := &columns{Title: title, Cols: cols, Width: chartWidth, Height: colsHeight, Base: colsTop + colsPlot}
	most := 0
	for _, col := range cols {
		most = max(most, col.N)
	}
	c.Empty = most == 0
	if len(cols) == 0 {
		return c
	}
	step := (chartWidth - 2*chartPad) / len(cols)
	for i := range c.Cols {
		col := &c.Cols[i]
		col.W = step * 3 / 5
		// Right to left: the first (oldest) column at the right edge.
		col.X = chartWidth - chartPad - (i+1)*step + (step-col.W)/2
		col.MidX = col.X + col.W/2
		if most > 0 {
			col.H = col.N * colsPlot / most
		}
		if col.N > 0 && col.H < 2 {
			col.H = 2
		}
		col.Y = c.Base - col.H
		col.NumY = col.Y - 5
		col.LabelY = c.Base + 18
		col.Num = text.Number(int64(col.N))
	}
	return c
}
