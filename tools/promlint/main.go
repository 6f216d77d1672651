// Command promlint reads a Prometheus text exposition (a /metrics scrape) on stdin and reports every
// problem the client_golang linter finds with the metric names, types and help texts, one a line as
// "metric: text". It exits 1 when there is any problem, 2 when the input cannot be read.
package main

import (
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

func main() {
	problems, err := promlint.New(os.Stdin).Lint()
	if err != nil {
		fmt.Fprintf(os.Stderr, "promlint: cannot read the metrics: %v\n", err)
		os.Exit(2)
	}
	for _, p := range problems {
		fmt.Printf("%s: %s\n", p.Metric, p.Text)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
}
