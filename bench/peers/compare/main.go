// Command compare summarises compare.sh's reports: one row per system with
// its jobs/s median (min–max) and how gigq's burndown compares to it, or
// with -json the list of every report, each marked with its system and run.
//
//	compare [-json] SYSTEM:RUN:REPORT.json ...
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// order is how the table lists the systems; others follow by name.
var order = []string{"ceiling", "gigq", "river", "goqite"}

// report is what the table reads from a report; the JSON list keeps every
// field.
type report struct {
	System     string  `json:"system"`
	Run        int     `json:"run"`
	Jobs       int     `json:"jobs"`
	Completed  int     `json:"completed"`
	JobsPerSec float64 `json:"jobs_per_sec"`
	Sync       string  `json:"sync"`
	Workers    int     `json:"workers"`
	Machine    struct {
		CPU    string `json:"cpu"`
		Cores  int    `json:"cores"`
		Go     string `json:"go"`
		SQLite string `json:"sqlite"`
	} `json:"machine"`
	raw map[string]any
}

func main() {
	asJSON := flag.Bool("json", false, "print the JSON list of every report instead of the table")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: compare [-json] SYSTEM:RUN:REPORT.json ...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(os.Stdout, flag.Args(), *asJSON); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, args []string, asJSON bool) error {
	if len(args) == 0 {
		return errors.New("no reports: give SYSTEM:RUN:REPORT.json arguments")
	}
	var reports []report
	for _, a := range args {
		r, err := read(a)
		if err != nil {
			return err
		}
		reports = append(reports, r)
	}
	if asJSON {
		list := make([]map[string]any, len(reports))
		for i, r := range reports {
			list[i] = r.raw
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	return table(w, reports)
}

// read reads the report an argument names and marks it with its system
// and run.
func read(arg string) (report, error) {
	system, rest, ok1 := strings.Cut(arg, ":")
	runStr, path, ok2 := strings.Cut(rest, ":")
	n, err := strconv.Atoi(runStr)
	if !ok1 || !ok2 || system == "" || err != nil {
		return report{}, fmt.Errorf("argument %q: want SYSTEM:RUN:REPORT.json", arg)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return report{}, err
	}
	var r report
	if err := json.Unmarshal(data, &r); err != nil {
		return report{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := json.Unmarshal(data, &r.raw); err != nil {
		return report{}, fmt.Errorf("%s: %w", path, err)
	}
	r.System, r.Run = system, n
	r.raw["system"], r.raw["run"] = system, n
	return r, nil
}

// row is one system's summary.
type row struct {
	system           string
	median, lo, hi   float64
	workers          []int
	sqlite           string
	incomplete, runs int
}

func table(w io.Writer, reports []report) error {
	bySystem := map[string][]report{}
	for _, r := range reports {
		bySystem[r.System] = append(bySystem[r.System], r)
	}
	names := make([]string, 0, len(bySystem))
	for s := range bySystem {
		names = append(names, s)
	}
	slices.SortFunc(names, func(a, b string) int {
		ia, ib := rank(a), rank(b)
		if ia != ib {
			return ia - ib
		}
		return strings.Compare(a, b)
	})
	rows := make([]row, len(names))
	for i, s := range names {
		rows[i] = summarise(s, bySystem[s])
	}
	gigq := slices.IndexFunc(rows, func(r row) bool { return r.system == "gigq" })

	first := reports[0]
	fmt.Fprintf(w, "burndown, %d jobs, sync %s, %d run(s) interleaved, each on a new temporary database\n\n",
		first.Jobs, first.Sync, len(bySystem[first.System]))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "system\tjobs/s median (min–max)\tgigq burndown vs it\tworkers\tSQLite")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s (%s–%s)\t%s\t%s\t%s\n", r.system, count(r.median), count(r.lo), count(r.hi),
			ratio(rows, gigq, r), ints(r.workers), r.sqlite)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	m := first.Machine
	if gigq >= 0 {
		m = bySystem["gigq"][0].Machine
	}
	fmt.Fprintf(w, "\nmachine: %s, %d cores, %s\n", m.CPU, m.Cores, m.Go)
	for _, r := range reports {
		if r.Completed != r.Jobs {
			fmt.Fprintf(w, "WARNING: %s run %d completed %d of %d jobs\n", r.System, r.Run, r.Completed, r.Jobs)
		}
	}
	return nil
}

func rank(system string) int {
	if i := slices.Index(order, system); i >= 0 {
		return i
	}
	return len(order)
}

func summarise(system string, rs []report) row {
	r := row{system: system, runs: len(rs)}
	rates := make([]float64, len(rs))
	for i, x := range rs {
		rates[i] = x.JobsPerSec
		if !slices.Contains(r.workers, x.Workers) {
			r.workers = append(r.workers, x.Workers)
		}
	}
	slices.Sort(rates)
	r.lo, r.hi = rates[0], rates[len(rates)-1]
	if mid := len(rates) / 2; len(rates)%2 == 1 {
		r.median = rates[mid]
	} else {
		r.median = (rates[mid-1] + rates[mid]) / 2
	}
	r.sqlite = rs[0].Machine.SQLite
	return r
}

// ratio is how gigq's burndown median compares to r's: a share of the
// ceiling, a multiple of a peer.
func ratio(rows []row, gigq int, r row) string {
	switch {
	case gigq < 0 || r.median <= 0:
		return "n/a"
	case r.system == "gigq":
		return "—"
	case r.system == "ceiling":
		return fmt.Sprintf("%.0f%% of it", 100*rows[gigq].median/r.median)
	}
	return fmt.Sprintf("%.2f×", rows[gigq].median/r.median)
}

// count formats a rate with thousands separators.
func count(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func ints(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}
