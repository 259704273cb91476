package sandbox

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// InProcess runs each invocation in a fresh goja runtime on the calling
// goroutine, which owns the runtime for the invocation's whole life. It is the
// first layer of the sandbox; it cannot cap memory or stop a built-in that
// ignores interrupts (see the package documentation of sandbox/cell).
//
// An InProcess may hold one spare isolate, made by Prepare ahead of the next
// Run: a fresh runtime with its globals installed and nothing else, taken
// by exactly one invocation and thrown away after it, as any other.
type InProcess struct {
	spare     atomic.Pointer[isolate]
	preparing atomic.Bool
}

// NewInProcess returns the in-process runner.
func NewInProcess() *InProcess { return &InProcess{} }

// Prepare makes a spare isolate for the next Run, unless one is waiting:
// the runtime, its globals and the intrinsics every invocation touches,
// about two fifths of an isolate's start, are then off that Run's path.
// Call it when idle (a cell does, after answering an invocation); it is
// safe for concurrent use with Run.
func (r *InProcess) Prepare() {
	if r.spare.Load() != nil || !r.preparing.CompareAndSwap(false, true) {
		return
	}
	defer r.preparing.Store(false)
	iso, err := prepareIsolate(true)
	if err != nil {
		return // Run makes its own and reports the error
	}
	r.spare.CompareAndSwap(nil, iso)
}

// Run runs one invocation to completion: it starts a fresh isolate, calls the
// entry point, runs the event loop until the returned Promise settles, then
// cancels pending timers and binding calls and throws the isolate away.
//
// The error is nil, a *CompileError-free *ScriptError (the agent threw or
// rejected), a *LimitError, an error wrapping ErrNoEntry, or ctx's error.
// The Result is never nil; it holds the console output even on failure.
func (r *InProcess) Run(ctx context.Context, inv *Invocation) (*Result, error) {
	start := time.Now()
	res := &Result{}
	if inv == nil || inv.Module == nil || inv.Module.prog == nil {
		return res, errors.New("sandbox: invocation has no compiled module")
	}
	limits, err := inv.Limits.WithDefaults()
	if err != nil {
		return res, fmt.Errorf("sandbox: %w", err)
	}
	iso := r.spare.Swap(nil)
	if iso == nil {
		if iso, err = prepareIsolate(false); err != nil {
			return res, err
		}
	}
	iso.start(ctx, limits)
	defer iso.close()
	val, err := iso.invoke(inv)
	res.Value = val
	res.Console = iso.console
	res.Duration = time.Since(start)
	return res, err
}

// isolate is one runtime and its event loop for one invocation.
type isolate struct {
	rt     *goja.Runtime
	limits Limits
	parent context.Context

	callCtx    context.Context // handed to binding calls; cancelled at the end
	cancelCall context.CancelFunc
	calls      Calls
	pending    int           // binding calls in flight
	done       chan struct{} // closed when the loop stops taking completions

	inboxMu sync.Mutex
	inbox   []func()      // completions posted by binding calls, run on the loop
	closed  bool          // the loop takes no more completions
	wake    chan struct{} // signalled (buffered 1) when inbox gets one

	stopOnce sync.Once
	stopped  chan struct{} // closed by stop
	stopErr  error         // why the isolate was stopped (set before stopped closes)
	deadline *time.Timer
	ctxStop  func() bool

	limitErr *LimitError // the first limit hit from inside the loop

	timers      timerQueue
	timerSeq    int64
	timerByID   map[int64]*timer
	clock       *time.Timer
	console     []ConsoleLine
	consoleSize int

	unhandled []*goja.Promise

	// intrinsics captured before any agent code runs
	objectFreeze goja.Callable
	// objectPreventExtensions is Object.preventExtensions.
	objectPreventExtensions goja.Callable
	promiseThen             goja.Callable
	getOwnProp              goja.Callable

	bindingProto *bindingProto // the prototype of env.NAME objects (strictBinding)
}

// prepareIsolate makes a fresh runtime with the isolate's globals (setup):
// everything that does not depend on the invocation. Made ahead (Prepare),
// it also holds the prototype of env.NAME objects and the Promise
// intrinsics, which nearly every invocation builds on its way. No agent
// code has run in it.
func prepareIsolate(ahead bool) (*isolate, error) {
	rt := goja.New()
	iso := &isolate{
		rt:      rt,
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	// Code reaching eval or new Function must not make the parser read a
	// source map from the filesystem (goja's default loader does).
	rt.SetParserOptions(parser.WithDisableSourceMaps)
	if err := iso.setup(); err != nil {
		return nil, err
	}
	if ahead {
		iso.bindingProto = iso.newBindingProto()
		rt.NewPromise() // builds Promise and its prototype, as an async entry point does
	}
	return iso, nil
}

// start arms a prepared isolate for one invocation under limits: its call
// stack depth, its deadline, and the end of parent.
func (iso *isolate) start(parent context.Context, limits Limits) {
	iso.limits, iso.parent = limits, parent
	iso.callCtx, iso.cancelCall = context.WithCancel(parent)
	iso.rt.SetMaxCallStackSize(limits.MaxStackDepth)
	iso.deadline = time.AfterFunc(limits.Deadline, func() {
		iso.stop(&LimitError{Limit: "deadline", Detail: fmt.Sprintf("the invocation ran longer than %v", limits.Deadline)})
	})
	iso.ctxStop = context.AfterFunc(parent, func() {
		iso.stop(fmt.Errorf("invocation cancelled: %w", context.Cause(parent)))
	})
}

// stop interrupts the runtime and wakes the loop. It may be called from any
// goroutine; the first call wins.
//
// goja clears its interrupt flag whenever an interrupted call made from Go
// unwinds to an empty call stack, so a single Interrupt can be consumed by a
// nested call (a getter read during a copy, say) while agent code still runs
// above it. Once stopped, the isolate is therefore interrupted again every
// 10 ms until it is closed; the goroutine doing that ends with the isolate.
func (iso *isolate) stop(err error) {
	iso.stopOnce.Do(func() {
		iso.stopErr = err
		iso.rt.Interrupt(err)
		close(iso.stopped)
		go func() {
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-iso.done:
					return
				case <-t.C:
					iso.rt.Interrupt(err)
				}
			}
		}()
	})
}

// hitLimit records a limit hit on the loop goroutine and stops the isolate.
func (iso *isolate) hitLimit(le *LimitError) {
	if iso.limitErr == nil {
		iso.limitErr = le
	}
	iso.stop(le)
}

// close ends everything the invocation started: the deadline, timers and
// binding calls. It runs on the loop goroutine after the loop has returned.
func (iso *isolate) close() {
	iso.deadline.Stop()
	iso.ctxStop()
	if iso.clock != nil {
		iso.clock.Stop()
	}
	iso.timers = nil
	iso.timerByID = nil
	iso.inboxMu.Lock()
	iso.closed, iso.inbox = true, nil
	iso.inboxMu.Unlock()
	close(iso.done)
	iso.cancelCall()
	// A binding that ignores its cancelled context is not waited for past
	// the grace; its goroutine ends when it returns (its completion is
	// dropped because done is closed).
	iso.calls.Wait(CallGrace)
}

// invoke runs the module and the entry point, then the loop, and returns the
// settled value as plain data.
func (iso *isolate) invoke(inv *Invocation) (any, error) {
	rt := iso.rt
	entry := inv.Entry
	if entry == "" {
		entry = EntryRun
	}
	// Input, ctx and env are built before any agent code runs, with the
	// intrinsics as goja made them.
	in, err := (&importer{iso: iso, budget: iso.limits.MaxValueBytes, what: subject{text: "the input"}}).imp(inv.Input, 0)
	if err != nil {
		return nil, iso.importFailure(err)
	}
	ctxVal, err := (&importer{iso: iso, budget: iso.limits.MaxValueBytes, what: subject{text: "ctx"}}).imp(plainMap(inv.Context), 0)
	if err != nil {
		return nil, iso.importFailure(err)
	}
	iso.deepFreeze(ctxVal, 0)
	env, err := iso.buildEnv(inv.Env)
	if err != nil {
		return nil, err
	}

	wrapper, err := rt.RunProgram(inv.Module.prog)
	if err != nil {
		return nil, iso.failure(err)
	}
	wrapFn, ok := goja.AssertFunction(wrapper)
	if !ok {
		return nil, errors.New("sandbox: compiled module is not a function")
	}
	module := rt.NewObject()
	exports := rt.NewObject()
	_ = module.Set("exports", exports)
	if _, err := wrapFn(goja.Undefined(), module, exports); err != nil {
		return nil, iso.failure(err)
	}
	def := module.Get("exports")
	var defObj *goja.Object
	if eo, ok := def.(*goja.Object); ok {
		if d, ok := eo.Get("default").(*goja.Object); ok {
			defObj = d
		}
	}
	if defObj == nil {
		return nil, fmt.Errorf("%w: the default export is not an object with a %s method", ErrNoEntry, entry)
	}
	fn, ok := goja.AssertFunction(defObj.Get(entry))
	if !ok {
		return nil, fmt.Errorf("%w: the default export has no %s method (it has: %v)", ErrNoEntry, entry, methodNames(defObj))
	}

	ret, err := fn(defObj, in, env, ctxVal)
	if err != nil {
		return nil, iso.failure(err)
	}
	if o, ok := ret.(*goja.Object); ok && o.ExportType() == typePromise {
		// ExportType first: Export on a plain object would read its getters.
		if p, ok := o.Export().(*goja.Promise); ok {
			if err := iso.loop(p); err != nil {
				return nil, err
			}
			if p.State() == goja.PromiseStateRejected {
				var se *ScriptError
				if err := iso.guarded(func() {
					iso.reportUnhandled(p)
					se = iso.scriptError(p.Result())
				}); err != nil {
					return nil, err
				}
				return nil, se
			}
			ret = p.Result()
		}
	}
	if err := iso.loopErr(); err != nil {
		return nil, err
	}
	var out any
	var xerr error
	if err := iso.guarded(func() {
		iso.reportUnhandled(nil)
		x := &exporter{iso: iso, budget: iso.limits.MaxValueBytes, what: subject{text: "the result of " + entry + "()"}}
		out, xerr = x.export(ret)
	}); err != nil {
		return nil, err
	}
	if xerr != nil {
		var bte *bridgeTypeError
		if errors.As(xerr, &bte) {
			return nil, &ScriptError{Name: "TypeError", Message: bte.msg}
		}
		return nil, xerr
	}
	return out, nil
}

// guarded runs f, which reads from the runtime (and so may run getters or
// Proxy traps), inside a native function call, so that an interrupt raised
// meanwhile comes back as an error rather than a panic. The deadline stays
// armed while f runs.
func (iso *isolate) guarded(f func()) error {
	call, _ := goja.AssertFunction(iso.rt.ToValue(func(goja.FunctionCall) goja.Value {
		f()
		return goja.Undefined()
	}))
	if _, err := call(goja.Undefined()); err != nil {
		switch e := err.(type) {
		case *goja.InterruptedError, *goja.StackOverflowError:
			return iso.failure(e)
		case *goja.Exception:
			return &ScriptError{Name: "Error", Message: "an exception was thrown while reading the agent's value"}
		}
		return err
	}
	return iso.loopErr()
}

// pendingStop returns the stop reason if the isolate was stopped.
func (iso *isolate) pendingStop() error {
	select {
	case <-iso.stopped:
		return iso.stopErr
	default:
		return nil
	}
}

func (iso *isolate) loopErr() error {
	if iso.limitErr != nil {
		return iso.limitErr
	}
	return iso.pendingStop()
}

// loop runs completions and timers until p settles, the isolate is stopped,
// or nothing is left that could settle p.
func (iso *isolate) loop(p *goja.Promise) error {
	for p.State() == goja.PromiseStatePending {
		if err := iso.loopErr(); err != nil {
			return err
		}
		if iso.pending == 0 && len(iso.timers) == 0 {
			return &ScriptError{Name: "Error", Message: "the Promise returned by the entry point never settles: nothing is left to wait for (no pending timers or binding calls)"}
		}
		var tick <-chan time.Time
		if len(iso.timers) > 0 {
			wait := time.Until(iso.timers[0].due)
			if iso.clock == nil {
				iso.clock = time.NewTimer(wait)
			} else {
				iso.clock.Reset(wait)
			}
			tick = iso.clock.C
		}
		select {
		case <-iso.wake:
			iso.runInbox(p)
		case <-tick:
			iso.runDueTimers()
		case <-iso.stopped:
		}
	}
	return iso.loopErr()
}

// post hands f to the loop, from any goroutine, without waiting for it: a
// binding's completion never waits on JavaScript the isolate is running.
// After the loop has stopped, f is dropped.
func (iso *isolate) post(f func()) {
	iso.inboxMu.Lock()
	if iso.closed {
		iso.inboxMu.Unlock()
		return
	}
	iso.inbox = append(iso.inbox, f)
	iso.inboxMu.Unlock()
	select {
	case iso.wake <- struct{}{}:
	default:
	}
}

// runInbox runs the completions posted so far, in order, on the loop,
// until p settles or the isolate stops: what is left then is dropped with
// the isolate, as the loop would never take it.
func (iso *isolate) runInbox(p *goja.Promise) {
	iso.inboxMu.Lock()
	fs := iso.inbox
	iso.inbox = nil
	iso.inboxMu.Unlock()
	for _, f := range fs {
		if p.State() != goja.PromiseStatePending || iso.loopErr() != nil {
			return
		}
		f()
	}
}

// failure turns an error from calling into the runtime into the invocation's
// error: a limit, a stop, or the agent's exception.
//
// It uses a type switch, never errors.As: goja's Exception.Unwrap runs an
// instanceof check, which calls into a hostile Proxy's traps from Go.
func (iso *isolate) failure(err error) error {
	switch e := err.(type) {
	case *goja.InterruptedError:
		if v, ok := e.Value().(error); ok {
			return v
		}
		return fmt.Errorf("interrupted: %v", e.Value())
	case *goja.StackOverflowError:
		return &LimitError{Limit: "call stack depth", Detail: fmt.Sprintf("the call stack grew deeper than %d frames", iso.limits.MaxStackDepth)}
	case *goja.Exception:
		if le := iso.loopErr(); le != nil {
			return le
		}
		var se *ScriptError
		if gerr := iso.guarded(func() { se = iso.describeError(e.Value(), false) }); gerr != nil {
			return gerr
		}
		se.Stack = formatStack(e)
		return se
	}
	if le := iso.loopErr(); le != nil {
		return le
	}
	return err
}

func (iso *isolate) importFailure(err error) error {
	var le *LimitError
	if errors.As(err, &le) {
		return le
	}
	return fmt.Errorf("sandbox: %w", err)
}

// plainMap turns a nil map into an empty one, so ctx is always an object.
func plainMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func methodNames(o *goja.Object) []string {
	var names []string
	for _, k := range o.Keys() {
		if _, ok := goja.AssertFunction(o.Get(k)); ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

// deepFreeze freezes an object made by the importer and everything in it.
func (iso *isolate) deepFreeze(v goja.Value, depth int) {
	o, ok := v.(*goja.Object)
	if !ok || depth > maxValueDepth {
		return
	}
	for _, k := range o.Keys() {
		iso.deepFreeze(o.Get(k), depth+1)
	}
	_, _ = iso.objectFreeze(goja.Undefined(), o)
}

// buildEnv makes the frozen env object. Each env.NAME is a non-configurable
// getter that builds the binding's frozen object, one function per method,
// the first time the agent reads it, and returns that same object ever
// after: an agent reads few of its bindings, often none, and making a
// method's function was most of what building env cost a spawn. Object.keys,
// isFrozen and every read of env see the same as with data properties; only
// a property descriptor shows the getter.
func (iso *isolate) buildEnv(bindings map[string]Binding) (*goja.Object, error) {
	rt := iso.rt
	env := rt.NewObject()
	names := make([]string, 0, len(bindings))
	for n := range bindings {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		b := bindings[name]
		if b == nil {
			return nil, fmt.Errorf("sandbox: env.%s is nil", name)
		}
		lb := &lazyBinding{iso: iso, name: name, b: b}
		if err := env.DefineAccessorProperty(name, rt.ToValue(lb.get), nil, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
			return nil, fmt.Errorf("sandbox: env.%s: %w", name, err)
		}
	}
	if _, err := iso.objectPreventExtensions(goja.Undefined(), env); err != nil {
		return nil, fmt.Errorf("sandbox: freezing env: %w", err)
	}
	return env, nil
}

// lazyBinding is the getter of env.NAME.
type lazyBinding struct {
	iso  *isolate
	name string
	b    Binding
	obj  *goja.Object // built on the first read
}

func (lb *lazyBinding) get(goja.FunctionCall) goja.Value {
	if lb.obj == nil {
		obj, err := lb.iso.bindingObject(lb.name, lb.b)
		if err != nil {
			panic(lb.iso.rt.NewTypeError(err.Error()))
		}
		lb.obj = obj
	}
	return lb.obj
}

// bindingObject makes the frozen object env.NAME: one function per method,
// each returning a Promise.
func (iso *isolate) bindingObject(name string, b Binding) (*goja.Object, error) {
	rt := iso.rt
	obj := rt.NewObject()
	methods := b.Methods()
	for _, method := range methods {
		if err := obj.DefineDataProperty(method, rt.ToValue(iso.bindingMethod(name, method, b)), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
			return nil, fmt.Errorf("sandbox: env.%s.%s: %w", name, method, err)
		}
	}
	if err := iso.strictBinding(obj, name, methods); err != nil {
		return nil, fmt.Errorf("sandbox: env.%s: %w", name, err)
	}
	// Every property is already read-only and fixed: preventing
	// extensions makes obj frozen, without freeze's walk over its keys.
	if _, err := iso.objectPreventExtensions(goja.Undefined(), obj); err != nil {
		return nil, fmt.Errorf("sandbox: freezing env.%s: %w", name, err)
	}
	return obj, nil
}

// bindingMethod is the JavaScript function env.NAME.METHOD: it copies the
// arguments out, starts the call off the loop and returns a Promise settled on
// the loop when the call returns.
func (iso *isolate) bindingMethod(name, method string, b Binding) func(goja.FunctionCall) goja.Value {
	m := &boundMethod{iso: iso, name: name, method: method, b: b}
	return m.call
}

// boundMethod is one env.NAME.METHOD of an isolate.
type boundMethod struct {
	iso          *isolate
	name, method string
	b            Binding
}

// label names the method as the agent wrote it: env.NAME.METHOD.
func (m *boundMethod) label() string { return "env." + m.name + "." + m.method }

// call is the JavaScript function.
func (m *boundMethod) call(call goja.FunctionCall) goja.Value {
	iso := m.iso
	rt := iso.rt
	if iso.pending >= iso.limits.MaxPendingCalls {
		iso.hitLimit(&LimitError{Limit: "pending binding calls", Detail: fmt.Sprintf("%s was called with %d calls already in flight", m.label(), iso.pending)})
		panic(rt.NewTypeError("limit pending binding calls exceeded"))
	}
	x := &exporter{iso: iso, budget: iso.limits.MaxValueBytes}
	args := make([]any, len(call.Arguments))
	for i, a := range call.Arguments {
		x.what = subject{m: m, arg: i + 1}
		v, err := x.export(a)
		if err != nil {
			iso.throwBridge(err)
		}
		args[i] = v
	}
	p, resolve, reject := rt.NewPromise()
	iso.pending++
	if ab, ok := m.b.(AsyncBinding); ok {
		// The call starts here, on the loop, and its completion is posted
		// from whichever goroutine finishes it: no goroutine of its own.
		startAsync(iso.callCtx, ab, m.method, args, func(res any, err error) {
			iso.post(iso.completion(m, res, err, resolve, reject))
		})
		return rt.ToValue(p)
	}
	iso.calls.Add()
	goCall(func() { iso.runCall(m, args, resolve, reject) })
	return rt.ToValue(p)
}

// startAsync starts a call of an AsyncBinding, turning a panic in Start
// into the call's error, as SafeCall does for Call.
func startAsync(ctx context.Context, b AsyncBinding, method string, args []any, done func(any, error)) {
	defer func() {
		if r := recover(); r != nil {
			done(nil, fmt.Errorf("internal error in binding: %v", r))
		}
	}()
	b.Start(ctx, method, args, done)
}

// runCall runs one binding call on its own goroutine and posts its completion
// to the loop.
func (iso *isolate) runCall(m *boundMethod, args []any, resolve, reject func(any) error) {
	defer iso.calls.Done()
	res, err := SafeCall(iso.callCtx, m.b, m.method, args)
	iso.post(iso.completion(m, res, err, resolve, reject))
}

// completion is what the loop runs when a binding call of m returned res
// and err: it settles the call's Promise. The result is checked (plain
// data, within the size limit) once, by the importer on the loop, as it is
// copied in.
func (iso *isolate) completion(m *boundMethod, res any, err error, resolve, reject func(any) error) func() {
	return func() {
		iso.pending--
		var settleErr error
		var le *LimitError
		switch {
		case errors.As(err, &le):
			iso.hitLimit(le)
			return
		case err != nil:
			settleErr = reject(iso.callError(m.label(), err))
		default:
			v, ierr := (&importer{iso: iso, budget: iso.limits.MaxValueBytes, what: subject{m: m}}).imp(res, 0)
			if errors.As(ierr, &le) {
				iso.hitLimit(le)
				return
			}
			if ierr != nil {
				settleErr = reject(iso.newError(m.label() + ": " + ierr.Error()))
			} else {
				settleErr = resolve(v)
			}
		}
		if settleErr != nil {
			iso.afterJS(settleErr)
		}
	}
}

// SafeCall runs b.Call, turning a panic in the binding into an error: a
// binding's bug fails the call, never the process. Every runner calls
// bindings through it.
func SafeCall(ctx context.Context, b Binding, method string, args []any) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("internal error in binding: %v", r)
		}
	}()
	return b.Call(ctx, method, args)
}

// afterJS handles the error of JavaScript run from the loop (a timer callback
// or a Promise reaction): uncatchable errors stop the isolate, an uncaught
// exception fails the invocation.
func (iso *isolate) afterJS(err error) {
	if err == nil {
		return
	}
	f := iso.failure(err)
	var le *LimitError
	if errors.As(f, &le) {
		iso.hitLimit(le)
		return
	}
	iso.stop(f)
}

// throwBridge throws a bridge copy failure into JavaScript: a TypeError for a
// value that is not plain data; a limit stops the isolate.
func (iso *isolate) throwBridge(err error) {
	var le *LimitError
	if errors.As(err, &le) {
		iso.hitLimit(le)
		panic(iso.rt.NewTypeError(le.Error()))
	}
	var bte *bridgeTypeError
	if errors.As(err, &bte) {
		panic(iso.rt.NewTypeError(bte.msg))
	}
	// An interrupt raised while a getter ran: let it propagate.
	panic(err)
}

// newError makes a plain JavaScript Error with the intrinsic constructor.
// It looks the constructor up when needed: if the agent replaced its own
// global Error, only its own error objects change.
func (iso *isolate) newError(msg string) goja.Value {
	if ctor, ok := iso.rt.GlobalObject().Get("Error").(*goja.Object); ok {
		if o, err := iso.rt.New(ctor, iso.rt.ToValue(msg)); err == nil {
			return o
		}
	}
	return iso.rt.ToValue(msg)
}

// bytesOf copies the bytes of a Uint8Array or ArrayBuffer.
func (iso *isolate) bytesOf(o *goja.Object) ([]byte, error) {
	switch e := o.Export().(type) {
	case []byte:
		return append([]byte{}, e...), nil
	case goja.ArrayBuffer:
		b := e.Bytes()
		if b == nil {
			return nil, errors.New("the ArrayBuffer is detached")
		}
		return append([]byte{}, b...), nil
	default:
		return nil, fmt.Errorf("a %s is not plain data", o.ClassName())
	}
}

// newUint8Array makes a Uint8Array holding a copy of b.
func (iso *isolate) newUint8Array(b []byte) (goja.Value, error) {
	buf := iso.rt.NewArrayBuffer(append([]byte{}, b...))
	ctor, ok := iso.rt.GlobalObject().Get("Uint8Array").(*goja.Object)
	if !ok {
		return nil, errors.New("Uint8Array is not a constructor in this isolate")
	}
	return iso.rt.New(ctor, iso.rt.ToValue(buf))
}
