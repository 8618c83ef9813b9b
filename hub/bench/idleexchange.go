package bench

import (
	"context"
	"runtime"
)

// exchanger is idle mode's exchange: agencies of its own, issued after
// the idle clients', whose documents are made and whose connections are
// opened before the hub's memory is first measured, so that the idle
// connections' figure holds neither.
type exchanger struct {
	env  *env // the run's, with the exchange's agencies only
	docs []*doc
	opts Options
}

// newExchanger prepares the exchange between the agencies of e after the
// first opts.Agencies (the idle clients'), and connects them, with their
// long polls at pollAddr when set (a long-poll front's). Their clients
// are e's too: e.stop closes them.
func newExchanger(ctx context.Context, e *env, opts Options, pollAddr string) (*exchanger, error) {
	sub := *e
	sub.agencies = e.agencies[opts.Agencies:]
	opts.Agencies = len(sub.agencies)
	docs, err := prepare(ctx, &sub, opts)
	if err != nil {
		return nil, err
	}
	if err := sub.connect(opts, pollAddr); err != nil {
		return nil, err
	}
	for _, a := range sub.agencies {
		if err := a.hello(ctx); err != nil {
			return nil, err
		}
	}
	return &exchanger{env: &sub, docs: docs, opts: opts}, nil
}

// run sends the documents at the run's rate, the warm-up's first, and
// measures, with the hub's GOMAXPROCS as Run does.
func (x *exchanger) run(ctx context.Context) (*Result, error) {
	procs := runtime.GOMAXPROCS(0)
	if x.env.procs > 0 {
		runtime.GOMAXPROCS(x.env.procs)
		defer runtime.GOMAXPROCS(procs)
	}
	warm, err := warmUp(ctx, x.env, x.docs[:x.opts.Warmup], x.opts)
	if err != nil {
		return nil, err
	}
	res, err := exchange(ctx, x.env, x.docs[x.opts.Warmup:], x.opts)
	if err != nil {
		return nil, err
	}
	res.Warmup = warm
	res.Procs, res.Nodes = runtime.GOMAXPROCS(0), len(x.env.nodes)
	res.Transport, res.BulkTransport = x.env.agencies[0].client.Transport(), x.env.agencies[0].client.BulkTransport()
	return res, nil
}
