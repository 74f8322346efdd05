package main

import (
	"encoding/hex"
	"testing"
)

// The mac1 of a generated initiation matches Python's hashlib.blake2s (an independent implementation):
// pub = bytes(range(32)); key = blake2s(b"mac1----" + pub); mac1 = blake2s(msg[:116], digest_size=16, key=key)
// with msg = 01 00 00 00 followed by (i*7) & 255 for i in 0..111.
func TestMac1MatchesIndependentImplementation(t *testing.T) {
	pub := make([]byte, 32)
	for i := range pub {
		pub[i] = byte(i)
	}
	g := newInitiations(pub, 1)
	buf := make([]byte, maxDatagram)
	if n := g.next(buf); n != sizeInitiation || buf[0] != typeInitiation {
		t.Fatalf("initiation of %d bytes, type %d", n, buf[0])
	}
	for i := 0; i < 112; i++ {
		buf[4+i] = byte(i * 7)
	}
	mac1 := g.mac1(buf[:116])
	if got := hex.EncodeToString(mac1); got != "de53fbae57962fb7f7f2dea79f2e4f59" {
		t.Fatalf("mac1 %s", got)
	}
}

func TestGarbageHasEveryKindAndSize(t *testing.T) {
	p := newGarbage(newRand(7), 900)
	types := map[byte]int{}
	for _, m := range p.pool {
		if len(m) < 1 || len(m) > maxDatagram {
			t.Fatalf("datagram of %d bytes", len(m))
		}
		types[m[0]]++
	}
	for _, typ := range []byte{typeInitiation, typeResponse, typeCookieReply, typeData} {
		if types[typ] == 0 {
			t.Fatalf("no message of type %d in the pool", typ)
		}
	}
}

// A GSO datagram of 16 data messages of 96 bytes and a last one of 48 (1,584 bytes, more than fits one
// datagram) splits into those 17 messages.
func TestSplitSegmentsUndoesUDPSegmentation(t *testing.T) {
	msg := func(counter byte, size int) []byte {
		m := make([]byte, size)
		m[0], m[4], m[5] = typeData, 0xaa, 0xbb
		m[8] = counter
		for i := 16; i < size; i++ {
			m[i] = 0x55
		}
		return m
	}
	var big []byte
	for c := byte(0); c < 16; c++ {
		big = append(big, msg(c+7, 96)...)
	}
	big = append(big, msg(23, 48)...)
	segs := splitSegments(big)
	if len(segs) != 17 || len(segs[0]) != 96 || len(segs[16]) != 48 || segs[16][8] != 23 {
		t.Fatalf("%d segments", len(segs))
	}
	if got := splitSegments(big[:100]); len(got) != 1 || len(got[0]) != 100 {
		t.Fatalf("a datagram that fits is split: %d", len(got))
	}
	if got := splitSegments(append([]byte{typeInitiation}, big[1:]...)); got != nil {
		t.Fatalf("an oversized datagram that is no data message is kept: %d", len(got))
	}
}
