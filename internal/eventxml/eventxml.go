// Package eventxml renders an event record as the Event Viewer's XML view
// and wevtutil's /f:xml show it: the System part, the insertion strings as
// EventData, and with the rendering the message text. wevtutil and the
// console share it.
package eventxml

import (
	"fmt"
	"html"
	"strings"
	"time"

	pb "github.com/openscm/scm/internal/api/scmmsg"
)

// Levels names an event type as the Event Viewer does.
var Levels = map[uint32]string{1: "Error", 2: "Warning", 4: "Information", 8: "Audit Success", 16: "Audit Failure", 0: "Information"}

// xmlLevel is the Level the XML rendering gives an event type (as
// internal/eventlog.Level).
var xmlLevel = map[uint32]int{1: 2, 2: 3, 4: 4, 0: 4, 8: 0, 16: 0}

// Render is the event of log as XML on one line, with RenderingInfo (the
// message and the level's name) when rendered.
func Render(log string, e *pb.EventRecord, rendered bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='%s'/><EventID Qualifiers='0'>%d</EventID><Version>0</Version><Level>%d</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x80000000000000</Keywords><TimeCreated SystemTime='%s'/><EventRecordID>%d</EventRecordID><Correlation/><Execution ProcessID='0' ThreadID='0'/><Channel>%s</Channel><Computer>%s</Computer><Security UserID='%s'/></System><EventData>",
		html.EscapeString(e.Source), e.EventId, xmlLevel[e.Type], time.Unix(0, e.TimeGenerated).UTC().Format("2006-01-02T15:04:05.0000000Z"),
		e.RecordNumber, html.EscapeString(log), html.EscapeString(e.Computer), html.EscapeString(e.UserSid))
	for _, s := range e.Strings {
		fmt.Fprintf(&b, "<Data>%s</Data>", html.EscapeString(s))
	}
	if len(e.Data) > 0 {
		fmt.Fprintf(&b, "<Binary>%X</Binary>", e.Data)
	}
	b.WriteString("</EventData>")
	if rendered {
		fmt.Fprintf(&b, "<RenderingInfo Culture='en-US'><Message>%s</Message><Level>%s</Level><Task></Task><Opcode></Opcode><Channel>%s</Channel><Provider>%s</Provider><Keywords><Keyword>Classic</Keyword></Keywords></RenderingInfo>",
			html.EscapeString(e.Message), Levels[e.Type], html.EscapeString(log), html.EscapeString(e.Source))
	}
	b.WriteString("</Event>")
	return b.String()
}
