package daemon

import (
	"context"

	"github.com/openscm/scm/internal/devices"
	"github.com/openscm/scm/internal/power"
)

// watch fires trigger-starts for the devices present now and the IP
// availability now, as Windows does at boot, and then follows device
// arrivals and removals, address and link changes, clock changes, and
// suspend and resume, until ctx is done. u, if not nil, has been
// listening to the kernel's device events since the SCM started.
func (d *Daemon) watch(ctx context.Context, u *devices.Uevents) {
	m := d.Manager
	for _, dev := range m.DeviceMappings().Present() {
		m.DeviceArrived(dev)
	}
	if devices.HasAddress() {
		m.IPAvailability(true)
	}
	if u != nil {
		go func() {
			for {
				ev, err := u.Next()
				if err != nil {
					if ctx.Err() == nil {
						d.logf("device events: %v", err)
					}
					return
				}
				dev, ok := m.DeviceMappings().FromEvent(ev)
				switch {
				case !ok:
				case ev.Action == "add":
					m.DeviceArrived(dev)
					m.DeviceEvent(dev, true)
				case ev.Action == "remove":
					m.DeviceEvent(dev, false)
				}
			}
		}()
	}
	go func() {
		if err := devices.WatchNetwork(ctx, m.IPAvailability, m.NetBind); err != nil {
			d.logf("address changes: %v", err)
		}
	}()
	go func() {
		if err := devices.WatchClock(ctx, m.TimeChanged); err != nil {
			d.logf("clock changes: %v", err)
		}
	}()
	go func() {
		// Windows sends PBT_APMRESUMEAUTOMATIC on every resume and
		// PBT_APMRESUMESUSPEND when a user woke the machine; logind does
		// not say why it woke, so both go, as for a user's wake.
		err := power.Watch(ctx, func() { m.PowerEvent(power.PBT_APMSUSPEND) }, func() {
			m.PowerEvent(power.PBT_APMRESUMEAUTOMATIC)
			m.PowerEvent(power.PBT_APMRESUMESUSPEND)
		})
		if err != nil {
			d.logf("suspend and resume are not reported (%v): SERVICE_CONTROL_POWEREVENT is not sent", err)
		}
	}()
}
