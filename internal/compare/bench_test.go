package compare

import (
	"testing"
	"time"
)

// rig is one supervisor with n services, 0 to n-1, on a temporary
// directory of its own.
type rig interface {
	// launch starts the supervisor.
	launch(b *testing.B)
	// ready waits until the supervisor takes requests for every service.
	ready(b *testing.B)
	// waitAllUp waits until every service is up.
	waitAllUp(b *testing.B)
	// settle waits until the supervisor takes commands again after the
	// last start.
	settle(b *testing.B)
	// start, stop and query are the in-process client's: start returns
	// once the service is up, stop once it is gone, query asks its status
	// once.
	start(b *testing.B, i int)
	stop(b *testing.B, i int)
	query(b *testing.B, i int)
	// cliStart, cliStop and cliStatus do the same with the supervisor's
	// command-line tools.
	cliStart(b *testing.B, i int)
	cliStop(b *testing.B, i int)
	cliStatus(b *testing.B, i int)
	// close stops the supervisor and everything it started, and removes
	// its directory; once closed, it does nothing.
	close(b *testing.B)
}

// kind is one supervisor compared.
type kind struct {
	name string
	// prepare makes the directory for n services, started by the
	// supervisor's own start (auto) or left down until asked.
	prepare func(b *testing.B, n int, auto bool) rig
}

var kinds = []kind{
	{"scm", newSCM},
	{"s6", newSvdir(s6)},
	{"runit", newSvdir(runit)},
	{"daemontools", newSvdir(daemontools)},
	{"supervisord", newSupervisord},
}

// open runs the supervisor with n services down, until the benchmark
// ends.
func (k kind) open(b *testing.B, n int) rig {
	r := k.prepare(b, n, false)
	b.Cleanup(func() { r.close(b) })
	r.launch(b)
	r.ready(b)
	return r
}

// A variant is one supervisor's way of doing a row's step.
type variant struct {
	name string
	kind kind
	step func(b *testing.B, r rig, i int) time.Duration
}

// A shape is how a row uses its services: how many for b.N rounds (round
// i uses service i modulo that), and what happens before the rounds.
type shape struct {
	services func(n int) int
	setup    func(b *testing.B, r rig, n int)
}

// fresh gives each round a service of its own, down at the start: runsv
// delays a service's start to a second after its last, and daemontools'
// supervise takes no command for a second after a start, so a service
// started again and again measures those pauses, not the start.
var fresh = shape{services: func(n int) int { return n }}

// running gives each round a service of its own, running and past any
// pause after its start.
var running = shape{services: func(n int) int { return n }, setup: func(b *testing.B, r rig, n int) {
	for i := range n {
		r.start(b, i)
	}
	r.settle(b)
}}

// one gives every round the same service, running.
var one = shape{services: func(int) int { return 1 }, setup: func(b *testing.B, r rig, n int) { r.start(b, 0) }}

// row runs a row of the table: the floor alone, then each variant with the
// floor measured again in the same rounds. setupFloor returns the floor's
// round.
func row(b *testing.B, setupFloor func(b *testing.B) func(b *testing.B) time.Duration, sh shape, variants []variant) {
	b.Run("floor", func(b *testing.B) {
		floor := setupFloor(b)
		var s samples
		for range b.N {
			s = append(s, floor(b))
		}
		report(b, s, nil)
	})
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			n := sh.services(b.N)
			if n > 1000 {
				b.Fatalf("%d services for %d rounds: at most 1000 (use -benchtime Nx)", n, b.N)
			}
			r := v.kind.open(b, n)
			if sh.setup != nil {
				sh.setup(b, r, n)
			}
			floor := setupFloor(b)
			var s, f samples
			for i := range b.N {
				s = append(s, v.step(b, r, i%n))
				f = append(f, floor(b))
			}
			report(b, s, f)
		})
	}
}

// each makes one variant a supervisor for every kind, timing f.
func each(f func(b *testing.B, r rig, i int)) []variant {
	var vs []variant
	for _, k := range kinds {
		vs = append(vs, variant{name: k.name, kind: k, step: timing(f)})
	}
	return vs
}

func timing(f func(b *testing.B, r rig, i int)) func(b *testing.B, r rig, i int) time.Duration {
	return func(b *testing.B, r rig, i int) time.Duration {
		t0 := time.Now()
		f(b, r, i)
		return time.Since(t0)
	}
}

func fixed(f func(b *testing.B) time.Duration) func(b *testing.B) func(b *testing.B) time.Duration {
	return func(*testing.B) func(b *testing.B) time.Duration { return f }
}

// BenchmarkStartUp: start until up, through a client in this process;
// the floor is fork+exec of readysvc until it says it is ready.
func BenchmarkStartUp(b *testing.B) {
	row(b, fixed(floorStartUp), fresh, each(func(b *testing.B, r rig, i int) { r.start(b, i) }))
}

// BenchmarkStartUpCLI: start until up, through the command-line tools
// (for scm both net start, which waits, and sc start followed by sc query
// until RUNNING); the floor is that of StartUp.
func BenchmarkStartUpCLI(b *testing.B) {
	vs := each(func(b *testing.B, r rig, i int) { r.cliStart(b, i) })
	vs[0].name = "scm-net" // kinds[0] is scm
	sc := variant{name: "scm-sc", kind: kinds[0], step: timing(func(b *testing.B, r rig, i int) { r.(*scmRig).cliStartSC(b, i) })}
	row(b, fixed(floorStartUp), fresh, append([]variant{vs[0], sc}, vs[1:]...))
}

// BenchmarkStatusCLI: a running service's status by a command-line tool;
// the floor is fork, exec and reap of true(1).
func BenchmarkStatusCLI(b *testing.B) {
	row(b, floorExec, one, each(func(b *testing.B, r rig, i int) { r.cliStatus(b, i) }))
}

// BenchmarkStatus: a running service's status asked in this process: a
// call on an open connection for scm and supervisord, a read of
// supervise/status for the others. The floor is one packet to another
// process and back, which reading a file needs not: those can go under it.
func BenchmarkStatus(b *testing.B) {
	row(b, floorAsk, one, each(func(b *testing.B, r rig, i int) { r.query(b, i) }))
}

// BenchmarkStopCLI: stop until the service's process is gone, through the
// command-line tools; the floor is SIGTERM until reaped.
func BenchmarkStopCLI(b *testing.B) {
	row(b, fixed(floorStopReaped), running, each(func(b *testing.B, r rig, i int) { r.cliStop(b, i) }))
}

// BenchmarkMany: -compare-n services brought up by the supervisor's own
// start (scm's automatic services, a scanner over their directories,
// supervisord's autostart), from starting the supervisor until every one
// is up; then stopped one by one through the in-process client. The floors
// are fork+exec of as many readysvc until each has said it is ready, and
// SIGTERM until reaped of each in turn.
func BenchmarkMany(b *testing.B) {
	n := *manyN
	b.Run("floor", func(b *testing.B) {
		var floor many
		for range b.N {
			floor.round(b, n)
		}
		floor.report(b, nil)
	})
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			var m, floor many
			for range b.N {
				r := k.prepare(b, n, true)
				b.Cleanup(func() { r.close(b) })
				t0 := time.Now()
				r.launch(b)
				r.waitAllUp(b)
				boot := time.Since(t0)
				r.ready(b)
				r.settle(b)
				stops := make(samples, n)
				for i := range stops {
					t0 := time.Now()
					r.stop(b, i)
					stops[i] = time.Since(t0)
				}
				r.close(b)
				m.add(boot, stops)
				floor.round(b, n)
			}
			m.report(b, &floor)
		})
	}
}

// many are the samples of BenchmarkMany: of the boot and of stopping all,
// one a round, and of each stop.
type many struct{ boot, stopAll, stops samples }

func (m *many) add(boot time.Duration, stops samples) {
	var all time.Duration
	for _, d := range stops {
		all += d
	}
	m.boot = append(m.boot, boot)
	m.stopAll = append(m.stopAll, all)
	m.stops = append(m.stops, stops...)
}

// round measures a round of the floor.
func (m *many) round(b *testing.B, n int) {
	cmds, boot := floorBoot(b, n)
	stops := make(samples, n)
	for i, c := range cmds {
		stops[i] = floorStop(b, c)
	}
	m.add(boot, stops)
}

// report gives the p50 over the rounds of the boot and of stopping all in
// ms, with their floors' and the ratios, and the p50 and p90 of one stop.
func (m *many) report(b *testing.B, floor *many) {
	b.ReportMetric(millis(m.boot.pct(50)), "boot-ms")
	b.ReportMetric(millis(m.stopAll.pct(50)), "stopall-ms")
	b.ReportMetric(micros(m.stops.pct(50)), "stop-p50-µs")
	b.ReportMetric(micros(m.stops.pct(90)), "stop-p90-µs")
	if floor != nil {
		b.ReportMetric(millis(floor.boot.pct(50)), "boot-floor-ms")
		b.ReportMetric(float64(m.boot.pct(50))/float64(floor.boot.pct(50)), "boot-x-floor")
		b.ReportMetric(millis(floor.stopAll.pct(50)), "stopall-floor-ms")
		b.ReportMetric(float64(m.stopAll.pct(50))/float64(floor.stopAll.pct(50)), "stopall-x-floor")
	}
}
