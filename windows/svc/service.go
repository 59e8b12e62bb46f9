package svc

import (
	"errors"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/openscm/scm/internal/protocol"
	"github.com/openscm/scm/windows"
	"golang.org/x/sys/unix"
)

// The value upstream's dispatcher puts in ChangeRequest.Context, which
// programs written for it may print or check.
const handlerContext = 123456

// Run executes service name by calling appropriate handler function. It
// returns when the service has stopped. For a service of its own process the
// SCM ignores the name, as Windows does.
func Run(name string, handler Handler) error {
	return Dispatch(map[string]Handler{name: handler})
}

// Dispatch is StartServiceCtrlDispatcher: it connects the process to the SCM
// and runs each service the SCM starts in it with its handler, returning
// once every service that was started has stopped. A process that hosts
// several SERVICE_WIN32_SHARE_PROCESS services lists them all.
func Dispatch(services map[string]Handler) error {
	fd := takeControlFD()
	if fd < 0 {
		return windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT
	}
	if len(services) == 0 {
		return windows.ERROR_INVALID_PARAMETER
	}
	conn, err := packetConn(fd)
	if err != nil {
		return windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT
	}
	defer conn.Close()
	d := &dispatcher{conn: conn, handlers: services, running: map[string]*service{}}
	names := make([]string, 0, len(services))
	for n := range services {
		names = append(names, n)
	}
	if err := d.send(&protocol.Register{Services: names}); err != nil {
		return windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT
	}
	return d.loop()
}

type dispatcher struct {
	conn     *os.File // the SOCK_SEQPACKET control channel: a read or write is one message
	handlers map[string]Handler

	mu      sync.Mutex
	running map[string]*service // by lower-case name
	started int
	stopped chan struct{}

	sendMu   sync.Mutex
	detached bool // the SCM went away; waiting to reattach

	replyMu   sync.Mutex
	replySeq  uint32
	replyWait map[uint32]chan any // requests awaiting scmd's answer, by Seq
}

// awaitReply numbers a request to scmd and gives the channel its answer
// comes on.
func (d *dispatcher) awaitReply() (uint32, chan any) {
	d.replyMu.Lock()
	defer d.replyMu.Unlock()
	if d.replyWait == nil {
		d.replyWait = map[uint32]chan any{}
	}
	d.replySeq++
	ch := make(chan any, 1)
	d.replyWait[d.replySeq] = ch
	return d.replySeq, ch
}

func (d *dispatcher) forgetReply(seq uint32) {
	d.replyMu.Lock()
	defer d.replyMu.Unlock()
	delete(d.replyWait, seq)
}

func (d *dispatcher) replied(seq uint32, m any) {
	d.replyMu.Lock()
	defer d.replyMu.Unlock()
	if ch, ok := d.replyWait[seq]; ok {
		delete(d.replyWait, seq)
		ch <- m
	}
}

func (d *dispatcher) send(m any) error {
	b, err := protocol.Encode(m)
	if err != nil {
		return err
	}
	d.sendMu.Lock()
	defer d.sendMu.Unlock()
	if d.detached {
		return nil // the SCM is restarting; REATTACH carries the news
	}
	_, err = d.conn.Write(b)
	return err
}

// loop runs until the last started service stops. The SCM's messages are
// handled as they are read, on the reader's goroutine: none of them waits.
func (d *dispatcher) loop() error {
	d.stopped = make(chan struct{}, len(d.handlers)+1)
	readErr := make(chan error, 1)
	read := func(conn *os.File) {
		buf := make([]byte, protocol.MaxMessage+1)
		for {
			n, err := conn.Read(buf)
			if err != nil || n == 0 {
				readErr <- errors.New("svc: the SCM closed the control channel")
				return
			}
			m, err := protocol.Decode(buf[:n])
			if err != nil {
				readErr <- err
				return
			}
			switch m := m.(type) {
			case *protocol.Start:
				d.start(m)
			case *protocol.Control:
				d.control(m)
			case *protocol.NotifyReply:
				d.replied(m.Seq, m)
			case *protocol.DeviceList:
				d.replied(m.Seq, m)
			}
		}
	}
	go read(d.conn)
	for {
		select {
		case <-d.stopped:
			d.mu.Lock()
			done := d.started > 0 && len(d.running) == 0
			d.mu.Unlock()
			if done {
				return nil
			}
		case err := <-readErr:
			if !d.reattach() {
				return err
			}
			go read(d.conn)
		}
	}
}

// reattachFor is how long a host keeps trying to reach a restarted SCM.
const reattachFor = 60 * time.Second

// reattach reconnects to an SCM that went away while services ran here:
// the new SCM adopts them, knowing them by the tokens their starts
// carried. It reports false if nothing runs here or the SCM does not come
// back.
func (d *dispatcher) reattach() bool {
	d.mu.Lock()
	var running []protocol.Running
	for _, s := range d.running {
		if len(s.token) > 0 {
			running = append(running, protocol.Running{Token: s.token, Status: s.last()})
		}
	}
	d.mu.Unlock()
	if len(running) == 0 {
		return false
	}
	d.sendMu.Lock()
	d.detached = true
	d.conn.Close()
	d.sendMu.Unlock()
	path := os.Getenv("SCM_SOCKET") + protocol.HostSocketSuffix
	for deadline := time.Now().Add(reattachFor); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		conn, err := dialPacket(path)
		if err != nil {
			continue
		}
		b, err := protocol.Encode(&protocol.Reattach{Services: running})
		if err == nil {
			_, err = conn.Write(b)
		}
		if err != nil {
			conn.Close()
			continue
		}
		d.sendMu.Lock()
		d.conn = conn
		d.detached = false
		d.sendMu.Unlock()
		d.registerAgain()
		return true
	}
	return false
}

// registerAgain makes the running services' device registrations with a
// restarted SCM, which knows nothing of them. Nobody waits for the
// answers: the loop drops them.
func (d *dispatcher) registerAgain() {
	d.mu.Lock()
	var again []protocol.DeviceNotify
	for _, s := range d.running {
		s.statusMu.Lock()
		again = append(again, s.devices...)
		s.statusMu.Unlock()
	}
	d.mu.Unlock()
	for _, n := range again {
		d.send(&n)
	}
}

func (d *dispatcher) handlerFor(name string) Handler {
	if h, ok := d.handlers[name]; ok {
		return h
	}
	for n, h := range d.handlers {
		if strings.EqualFold(n, name) {
			return h
		}
	}
	if len(d.handlers) == 1 {
		// An own-process service: Windows ignores the table's name.
		for _, h := range d.handlers {
			return h
		}
	}
	return nil
}

func (d *dispatcher) start(m *protocol.Start) {
	h := d.handlerFor(m.Service)
	if h == nil {
		d.send(&protocol.Status{Service: m.Service, SERVICE_STATUS: windows.SERVICE_STATUS{ServiceType: windows.SERVICE_WIN32_OWN_PROCESS,
			CurrentState: windows.SERVICE_STOPPED, Win32ExitCode: uint32(windows.ERROR_SERVICE_NOT_IN_EXE)}})
		return
	}
	s := &service{d: d, name: m.Service, handler: h, reason: StartReason(m.Reason), c: make(chan ctlEvent), token: m.Token}
	d.mu.Lock()
	d.running[strings.ToLower(m.Service)] = s
	d.started++
	d.mu.Unlock()
	go func() {
		current.Store(s)
		s.main(h, m.Args)
		d.mu.Lock()
		delete(d.running, strings.ToLower(m.Service))
		d.mu.Unlock()
		d.stopped <- struct{}{}
	}()
}

// control hands a control to the service's loop, which answers NO_ERROR as
// it takes the request, as upstream's handler returns once its channel takes
// it: the answer always goes out before any status the request causes. A
// control for a service that is not running is refused.
func (d *dispatcher) control(m *protocol.Control) {
	d.mu.Lock()
	s := d.running[strings.ToLower(m.Service)]
	if s == nil && len(d.running) == 1 && len(d.handlers) == 1 {
		for _, only := range d.running {
			s = only
		}
	}
	d.mu.Unlock()
	if s == nil {
		d.send(&protocol.ControlReply{Seq: m.Seq, Result: uint32(windows.ERROR_SERVICE_NOT_ACTIVE)})
		return
	}
	ev := ctlEvent{seq: m.Seq, cmd: Cmd(m.Code), eventType: m.EventType, eventData: m.EventData, context: handlerContext}
	if _, answers := s.handler.(ControlAnswerer); !answers {
		select {
		case s.c <- ev: // the service's loop was waiting for it
			return
		default:
		}
	}
	// The service's loop is busy (or the handler answers first): the
	// control waits for it, as the SCM's handler thread waits on Windows,
	// while the messages that follow are read.
	go func() {
		if code := s.answer(ev); code != 0 {
			d.send(&protocol.ControlReply{Seq: m.Seq, Result: code})
			return
		}
		select {
		case s.c <- ev:
		case <-s.done():
			d.send(&protocol.ControlReply{Seq: m.Seq, Result: uint32(windows.ERROR_SERVICE_NOT_ACTIVE)})
		}
	}()
}

type ctlEvent struct {
	seq       uint32
	cmd       Cmd
	eventType uint32
	eventData []byte
	context   uintptr
}

// service is one running service of this process.
type service struct {
	d       *dispatcher
	name    string
	handler Handler
	reason  StartReason
	c       chan ctlEvent

	doneOnce sync.Once
	doneCh   chan struct{}

	token    []byte
	statusMu sync.Mutex
	status   protocol.Status         // the last status sent
	devices  []protocol.DeviceNotify // registrations that hold, for a restarted SCM
}

// remember keeps a registration that holds, to make again with an SCM
// that restarted.
func (s *service) remember(n protocol.DeviceNotify) {
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	s.devices = append(s.devices, n)
}

func (s *service) last() protocol.Status {
	s.statusMu.Lock()
	defer s.statusMu.Unlock()
	return s.status
}

func (s *service) done() chan struct{} {
	s.doneOnce.Do(func() { s.doneCh = make(chan struct{}) })
	return s.doneCh
}

type exitCode struct {
	isSvcSpecific bool
	errno         uint32
}

func (s *service) updateStatus(status *Status, ec *exitCode) error {
	t := protocol.Status{Service: s.name, SERVICE_STATUS: windows.SERVICE_STATUS{
		ServiceType:      windows.SERVICE_WIN32_OWN_PROCESS,
		CurrentState:     uint32(status.State),
		ControlsAccepted: uint32(status.Accepts),
		CheckPoint:       status.CheckPoint,
		WaitHint:         status.WaitHint,
	}}
	switch {
	case ec.errno == 0:
	case ec.isSvcSpecific:
		t.Win32ExitCode = uint32(windows.ERROR_SERVICE_SPECIFIC_ERROR)
		t.ServiceSpecificExitCode = ec.errno
	default:
		t.Win32ExitCode = ec.errno
	}
	s.statusMu.Lock()
	s.status = t
	s.statusMu.Unlock()
	return s.d.send(&t)
}

// main is ServiceMain: it runs the handler and relays its status changes
// and the SCM's controls, as upstream's serviceMain does.
func (s *service) main(handler Handler, args []string) {
	defer close(s.done())
	cmdsToHandler := make(chan ChangeRequest)
	changesFromHandler := make(chan Status)
	exitFromHandler := make(chan exitCode)
	go func() {
		ss, errno := handler.Execute(args, cmdsToHandler, changesFromHandler)
		exitFromHandler <- exitCode{ss, errno}
	}()

	ec := exitCode{isSvcSpecific: true, errno: 0}
	outcr := ChangeRequest{CurrentStatus: Status{State: Stopped}}
	var outch chan ChangeRequest
	inch := s.c
loop:
	for {
		select {
		case r := <-inch:
			s.d.send(&protocol.ControlReply{Seq: r.seq})
			inch = nil
			outch = cmdsToHandler
			outcr.Cmd = r.cmd
			outcr.EventType = r.eventType
			outcr.EventData = eventData(r.eventData)
			outcr.Context = r.context
		case outch <- outcr:
			inch = s.c
			outch = nil
		case c := <-changesFromHandler:
			if err := s.updateStatus(&c, &ec); err != nil {
				ec.errno = uint32(windows.ERROR_EXCEPTION_IN_SERVICE)
				break loop
			}
			outcr.CurrentStatus = c
		case ec = <-exitFromHandler:
			break loop
		}
	}
	s.updateStatus(&Status{State: Stopped}, &ec)
}

// StatusHandle returns service status handle. It is safe to call this
// function from inside the Handler.Execute because then it is guaranteed to
// be set.
func StatusHandle() windows.Handle {
	if current.Load() == nil {
		return 0
	}
	return windows.Handle(takeControlFD() + 1)
}

// DynamicStartReason returns the reason why the service was started. It is
// safe to call this function from inside the Handler.Execute because then it
// is guaranteed to be set.
func DynamicStartReason() (StartReason, error) {
	s := current.Load()
	if s == nil {
		return 0, windows.ERROR_INVALID_HANDLE
	}
	return s.reason, nil
}

// packetConn makes a SOCK_SEQPACKET descriptor a file the runtime polls:
// a read waits without holding a thread, and Close ends a read under way.
// The package does not use the net package, whose resolver would make
// every service a dynamically linked program.
func packetConn(fd int) (*os.File, error) {
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "scm-control"), nil
}

// dialPacket connects to a SOCK_SEQPACKET unix socket.
func dialPacket(path string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return packetConn(fd)
}
