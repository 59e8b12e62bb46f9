package scmmsg

import (
	"math/rand"
	"testing"

	pb "github.com/openscm/scm/internal/api/scmv1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Every message, filled at random, goes from scmv1's encoding through
// scmmsg's and back unchanged: the two read and write the same bytes.
func TestAgreesWithProtobuf(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	msgs := pb.File_scm_v1_scm_proto.Messages()
	if messageCount != msgs.Len() {
		t.Fatalf("scmmsg has %d messages, scm.proto %d: run make proto", messageCount, msgs.Len())
	}
	for i := 0; i < msgs.Len(); i++ {
		md := msgs.Get(i)
		mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
		if err != nil {
			t.Fatal(err)
		}
		for round := 0; round < 50; round++ {
			want := mt.New()
			fill(rnd, want, 3)
			b, err := proto.Marshal(want.Interface())
			if err != nil {
				t.Fatal(err)
			}
			x := byName(string(md.FullName()))
			if err := x.UnmarshalBinary(b); err != nil {
				t.Fatalf("%s: %v", md.Name(), err)
			}
			b2, _ := Marshal(x)
			got := mt.New().Interface()
			if err := proto.Unmarshal(b2, got); err != nil {
				t.Fatalf("%s: scmmsg wrote what protobuf cannot read: %v", md.Name(), err)
			}
			if !proto.Equal(want.Interface(), got) {
				t.Fatalf("%s: through scmmsg\n%v\nbecame\n%v", md.Name(), want, got)
			}
		}
	}
}

// A message cut short is an error, not a panic or a half-read success.
func TestTruncated(t *testing.T) {
	m := &pb.ServiceConfig2{Description: proto.String("a description"), Triggers: []*pb.Trigger{{Subtype: "x"}}}
	b, _ := proto.Marshal(m)
	for n := 1; n < len(b); n++ {
		if err := new(ServiceConfig2).UnmarshalBinary(b[:n]); err == nil && n < len(b) {
			// Cutting between two fields leaves a shorter, valid message.
			var back pb.ServiceConfig2
			if proto.Unmarshal(b[:n], &back) != nil {
				t.Errorf("cut at %d of %d: read without an error", n, len(b))
			}
		}
	}
}

func fill(rnd *rand.Rand, m protoreflect.Message, depth int) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.HasPresence() && fd.Kind() != protoreflect.MessageKind && rnd.Intn(3) == 0 {
			continue // an optional left unset
		}
		if fd.Cardinality() == protoreflect.Repeated {
			list := m.Mutable(fd).List()
			for n := rnd.Intn(4); n > 0; n-- {
				if fd.Kind() == protoreflect.MessageKind {
					e := list.NewElement()
					if depth > 0 {
						fill(rnd, e.Message(), depth-1)
					}
					list.Append(e)
				} else {
					list.Append(scalar(rnd, fd))
				}
			}
			continue
		}
		if fd.Kind() == protoreflect.MessageKind {
			if depth > 0 && rnd.Intn(4) != 0 {
				fill(rnd, m.Mutable(fd).Message(), depth-1)
			}
			continue
		}
		m.Set(fd, scalar(rnd, fd))
	}
}

func scalar(rnd *rand.Rand, fd protoreflect.FieldDescriptor) protoreflect.Value {
	zero := rnd.Intn(4) == 0
	switch fd.Kind() {
	case protoreflect.Uint32Kind:
		if zero {
			return protoreflect.ValueOfUint32(0)
		}
		return protoreflect.ValueOfUint32(rnd.Uint32())
	case protoreflect.Uint64Kind:
		if zero {
			return protoreflect.ValueOfUint64(0)
		}
		return protoreflect.ValueOfUint64(rnd.Uint64())
	case protoreflect.Int64Kind:
		return protoreflect.ValueOfInt64(int64(rnd.Uint64()))
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(rnd.Intn(2) == 0)
	case protoreflect.StringKind:
		if zero {
			return protoreflect.ValueOfString("")
		}
		return protoreflect.ValueOfString(string([]rune{rune('a' + rnd.Intn(26)), 'é', rune(0x4e00 + rnd.Intn(100))}))
	case protoreflect.BytesKind:
		b := make([]byte, rnd.Intn(300))
		rnd.Read(b)
		return protoreflect.ValueOfBytes(b)
	}
	panic(fd.Kind())
}
