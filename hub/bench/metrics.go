package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// RouteTime is the hub's own time spent on one API route during a run,
// from its Prometheus histogram lienthong_hub_request_seconds.
type RouteTime struct {
	Route string
	Count float64
	Mean  time.Duration
}

// scrapeRouteTimes reads the in-process hub's /metrics.
func scrapeRouteTimes(ctx context.Context, opsAddr string) ([]RouteTime, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+opsAddr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape metrics: %s", resp.Status)
	}
	return parseRouteTimes(io.LimitReader(resp.Body, 16<<20))
}

// parseRouteTimes reads the _sum and _count lines of the request duration
// histogram from Prometheus text exposition, ignoring everything else.
func parseRouteTimes(r io.Reader) ([]RouteTime, error) {
	const metric = "lienthong_hub_request_seconds"
	sums, counts := map[string]float64{}, map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var into map[string]float64
		switch {
		case strings.HasPrefix(line, metric+"_sum{"):
			into = sums
		case strings.HasPrefix(line, metric+"_count{"):
			into = counts
		default:
			continue
		}
		open, end := strings.IndexByte(line, '{'), strings.LastIndexByte(line, '}')
		if end < open {
			continue
		}
		labels, value := line[open+1:end], strings.TrimSpace(line[end+1:])
		route := ""
		for _, l := range strings.Split(labels, ",") {
			if v, ok := strings.CutPrefix(l, `route="`); ok {
				route = strings.TrimSuffix(v, `"`)
			}
		}
		f, err := strconv.ParseFloat(value, 64)
		if route == "" || err != nil {
			continue
		}
		into[route] += f
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var out []RouteTime
	for route, n := range counts {
		if n <= 0 {
			continue
		}
		out = append(out, RouteTime{Route: route, Count: n, Mean: time.Duration(sums[route] / n * float64(time.Second))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Route < out[j].Route })
	return out, nil
}

// routeTimesSince is what the hub spent per route between two scrapes
// (before may be nil): routes without requests in between are left out.
func routeTimesSince(after, before []RouteTime) []RouteTime {
	var out []RouteTime
	for _, a := range after {
		total, count := a.Mean*time.Duration(a.Count), a.Count
		for _, b := range before {
			if b.Route == a.Route {
				total -= b.Mean * time.Duration(b.Count)
				count -= b.Count
			}
		}
		if count > 0 {
			out = append(out, RouteTime{Route: a.Route, Count: count, Mean: total / time.Duration(count)})
		}
	}
	return out
}
