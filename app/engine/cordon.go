package engine

// cordoner is a runner that moves an agent whose invocation killed a cell
// into a cell of its own (sandbox/cell's *Pool).
type cordoner interface {
	Cordoned(agent string) bool
}

// watchCordon is called before agent runs; the func it returns is called
// with the run's error (before any retry) and publishes EventCordoned when
// the run left the agent cordoned and it was not before. This is where the
// engine learns of a cordon, from the runner it was handed; with a runner
// that cordons no one (in-process) it does nothing.
func (e *Engine) watchCordon(agent string) func(error) {
	c, ok := e.runner.(cordoner)
	if !ok {
		return func(error) {}
	}
	was := c.Cordoned(agent)
	return func(err error) {
		if err == nil || was || !c.Cordoned(agent) {
			return
		}
		e.ev.Publish(Event{Type: EventCordoned, Agent: agent, Error: e.red.String(err.Error())})
	}
}
