package grafana

import (
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/ddm-agent/ddm/internal/influxtest"
)

// queryRunner runs the tests' queries against InfluxDB. A rule evaluated
// every minute for 80 minutes, in two languages, with the dashboards,
// makes thousands of queries; run one after another they took minutes
// (a Flux baseline query cost InfluxDB up to 0.4 s of CPU). So
// the tests first say every query they will make (prefetch): the runner
// runs each distinct text once, several at a time, InfluxQL statements
// several to a request, and keeps the answers; the evaluation then reads
// them in its own order. Every query text the evaluation makes is run
// against InfluxDB: one it was not told about is run when asked for.
type queryRunner struct {
	srv *influxtest.Server
	// slots bounds the queries in flight: twice the cores keeps the
	// server busy while answers are read; more only queue in the server
	// and hold memory.
	slots chan struct{}
	// batch is how many InfluxQL statements go in one request.
	batch int

	mu      sync.Mutex
	answers map[queryKey]*answer
}

// queryKey is a query as sent: its language and its text with every macro
// substituted.
type queryKey struct {
	lang Language
	text string
}

// answer is what InfluxDB answered to one query; ready is closed once it
// has.
type answer struct {
	ready  chan struct{}
	series []influxtest.Series // InfluxQL
	recs   []map[string]any    // Flux
	err    error
}

func newQueryRunner(srv *influxtest.Server) *queryRunner {
	return &queryRunner{
		srv:     srv,
		slots:   make(chan struct{}, max(2, 2*runtime.NumCPU())),
		batch:   16,
		answers: map[queryKey]*answer{},
	}
}

// claim returns the answer of k and whether the caller must run it (the
// first to ask for k).
func (r *queryRunner) claim(k queryKey) (*answer, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.answers[k]; ok {
		return a, false
	}
	a := &answer{ready: make(chan struct{})}
	r.answers[k] = a
	return a, true
}

// prefetch runs every query of keys not run yet and waits for them. Flux
// queries go one to a request, InfluxQL statements r.batch to a request
// (a statement with a ";" of its own alone).
func (r *queryRunner) prefetch(keys []queryKey) {
	var jobs []func()
	var batch []queryKey
	var batchAnswers []*answer
	flushBatch := func() {
		if len(batch) == 0 {
			return
		}
		ks, as := batch, batchAnswers
		jobs = append(jobs, func() { r.runInfluxQL(ks, as) })
		batch, batchAnswers = nil, nil
	}
	for _, k := range keys {
		a, mine := r.claim(k)
		if !mine {
			continue
		}
		switch {
		case k.lang == Flux:
			jobs = append(jobs, func() { r.runFlux(k, a) })
		case strings.Contains(k.text, ";"):
			jobs = append(jobs, func() { r.runInfluxQL([]queryKey{k}, []*answer{a}) })
		default:
			batch, batchAnswers = append(batch, k), append(batchAnswers, a)
			if len(batch) == r.batch {
				flushBatch()
			}
		}
	}
	flushBatch()
	var wg sync.WaitGroup
	for _, job := range jobs {
		r.slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-r.slots }()
			job()
		}()
	}
	wg.Wait()
}

func (r *queryRunner) runFlux(k queryKey, a *answer) {
	a.recs, a.err = r.srv.QueryFluxErr(k.text)
	close(a.ready)
}

func (r *queryRunner) runInfluxQL(ks []queryKey, as []*answer) {
	texts := make([]string, len(ks))
	for i, k := range ks {
		texts[i] = k.text
	}
	series, errs, err := r.srv.QueryBatch(texts)
	for i, a := range as {
		if err != nil {
			a.err = err
		} else {
			a.series, a.err = series[i], errs[i]
		}
		close(a.ready)
	}
}

// get returns the answer to k, running the query if nobody has.
func (r *queryRunner) get(k queryKey) *answer {
	a, mine := r.claim(k)
	if mine {
		if k.lang == Flux {
			r.runFlux(k, a)
		} else {
			r.runInfluxQL([]queryKey{k}, []*answer{a})
		}
	}
	<-a.ready
	return a
}

// influxQL returns the series InfluxDB answered to text.
func (r *queryRunner) influxQL(text string) ([]influxtest.Series, error) {
	a := r.get(queryKey{InfluxQL, text})
	if a.err != nil {
		return nil, fmt.Errorf("%s: %w", text, a.err)
	}
	return a.series, nil
}

// flux returns the records InfluxDB answered to text.
func (r *queryRunner) flux(text string) ([]map[string]any, error) {
	a := r.get(queryKey{Flux, text})
	if a.err != nil {
		return nil, fmt.Errorf("%s: %w", text, a.err)
	}
	return a.recs, nil
}
