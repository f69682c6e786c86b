package flows

import (
	"strconv"

	"coopbot"
	"coopbot/text"
)

// Paged lists and button grids, shared by every flow. A page change comes back as the
// choice "p:<page>".

// pageOf returns the page to show (the first one when page is out of range) and the number
// of pages of a list of n items, per to a page.
func pageOf(page, n, per int) (int, int) {
	pages := (n + per - 1) / per
	if page < 0 || page >= pages {
		page = 0
	}
	return page, pages
}

// pager adds "page x of y" and the Previous/Next buttons to a list with more than one page.
func pager(r *coopbot.Reply, page, pages int) {
	if pages <= 1 {
		return
	}
	r.Text = append(r.Text, coopbot.M("common.page", "Page", text.FaDigits(strconv.Itoa(page+1)), "Pages", text.FaDigits(strconv.Itoa(pages))))
	var nav []coopbot.Button
	if page > 0 {
		nav = append(nav, coopbot.Button{Label: coopbot.M("common.prev"), Data: "p:" + strconv.Itoa(page-1)})
	}
	if page+1 < pages {
		nav = append(nav, coopbot.Button{Label: coopbot.M("common.next"), Data: "p:" + strconv.Itoa(page+1)})
	}
	r.Buttons = append(r.Buttons, nav)
}

// grid lays buttons out in rows of n.
func grid(n int, buttons []coopbot.Button) [][]coopbot.Button {
	var rows [][]coopbot.Button
	for len(buttons) > n {
		rows = append(rows, buttons[:n:n])
		buttons = buttons[n:]
	}
	if len(buttons) > 0 {
		rows = append(rows, buttons)
	}
	return rows
}
