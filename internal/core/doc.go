// Package core is the SCM's state machine for running services: what
// happens when a service is started, controlled, reports its status, or its
// process comes and goes. It is pure: each event is a method call that
// carries the time, and its consequences come back as Actions for the caller
// to carry out (launch a process, send a message, kill, reply to a waiting
// call). Nothing here sleeps, reads a clock or touches the OS, so the rules
// are tested step by step with a fake clock (testdata/*.txt).
package core
