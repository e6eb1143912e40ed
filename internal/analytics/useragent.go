package analytics

import "strings"

// A small hand-written User-Agent classifier: the dimensions kept are so
// coarse (five browser families, three device classes) that a parser
// library would add a dependency for nothing. The string is read in memory
// and never kept.

// Client is what a User-Agent tells: a bot, or a browser family and a
// device class.
type Client struct {
	Bot     bool
	Browser string
	Device  string
}

// botMarks are substrings (lower case) of crawlers, monitors, previewers
// and scripted browsers that call themselves Mozilla: their requests are
// not visits. Clients that do not (curl, HTTP libraries, feed readers) are
// bots by their prefix already, so this list stays short: each mark is a
// scan of the string on every public request.
var botMarks = []string{"bot", "crawl", "spider", "slurp", "headless", "lighthouse", "pingdom", "uptime", "monitor",
	"preview", "scan", "fetch", "archive", "phantomjs", "selenium", "puppeteer", "playwright"}

// Classify reads a User-Agent header. An empty or non-browser one is a bot.
func Classify(ua string) Client {
	if ua == "" || len(ua) > 1024 {
		return Client{Bot: true}
	}
	l := strings.ToLower(ua)
	if !strings.HasPrefix(l, "mozilla/") && !strings.HasPrefix(l, "opera/") {
		return Client{Bot: true}
	}
	for _, m := range botMarks {
		if strings.Contains(l, m) {
			return Client{Bot: true}
		}
	}
	c := Client{Browser: "other", Device: "desktop"}
	switch {
	case strings.Contains(l, "edg/") || strings.Contains(l, "edge/") || strings.Contains(l, "edga/") || strings.Contains(l, "edgios/"):
		c.Browser = "edge"
	case strings.Contains(l, "opr/") || strings.Contains(l, "opera"):
		c.Browser = "opera"
	case strings.Contains(l, "samsungbrowser/"):
		c.Browser = "samsung"
	case strings.Contains(l, "firefox/") || strings.Contains(l, "fxios/"):
		c.Browser = "firefox"
	case strings.Contains(l, "chrome/") || strings.Contains(l, "crios/") || strings.Contains(l, "chromium/"):
		c.Browser = "chrome"
	case strings.Contains(l, "safari/"):
		c.Browser = "safari"
	}
	switch {
	case strings.Contains(l, "ipad") || strings.Contains(l, "tablet") ||
		(strings.Contains(l, "android") && !strings.Contains(l, "mobile")):
		c.Device = "tablet"
	case strings.Contains(l, "mobi") || strings.Contains(l, "iphone") || strings.Contains(l, "ipod"):
		c.Device = "mobile"
	}
	return c
}
