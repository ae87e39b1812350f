# rsp_raw.py — the stub's answers to bad and edge-case packets, spoken raw
# over the socket (run by gdb's own Python: gdb -batch -nx -x rsp_raw.py,
# RZ_PORT in the environment; the guest is target.asm in real mode, -S).
# Prints "FAIL: ..." lines and exits 1 on any; the guest must survive all
# of it (the driver then checks ringzero's exit after 'k').
import os, socket, sys

port = int(os.environ["RZ_PORT"])
fails = []

def frame(body, good=True):
    cs = sum(body.encode("latin-1")) & 0xff
    return ("$%s#%02x" % (body, cs if good else cs ^ 0x55)).encode("latin-1")

class Conn:
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.buf = b""
    def byte(self):
        while not self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("stub closed the connection")
            self.buf += d
        c, self.buf = self.buf[:1], self.buf[1:]
        return c
    def reply(self):
        while self.byte() != b"$":
            pass
        body = b""
        while True:
            c = self.byte()
            if c == b"#":
                break
            body += c
        cs = self.byte() + self.byte()
        if int(cs, 16) != sum(body) & 0xff:
            fails.append("reply with a bad checksum: %r" % body)
        self.s.sendall(b"+")
        return body.decode("latin-1")
    def ask(self, body):
        self.s.sendall(frame(body))
        ack = self.byte()
        if ack != b"+":
            fails.append("%r: ack %r" % (body[:40], ack))
        return self.reply()

def expect(what, got, want):
    ok = want(got) if callable(want) else got == want
    if not ok:
        fails.append("%s: got %r, want %r" % (what, got[:80], want if not callable(want) else "(predicate)"))

c = Conn()
# A bad checksum is refused with '-'; the same packet sent again is answered.
c.s.sendall(frame("?", good=False))
expect("bad checksum", c.byte().decode(), "-")
expect("stop reply", c.ask("?"), "T05thread:01;")
expect("qSupported", c.ask("qSupported:multiprocess+;swbreak+"),
       lambda r: "PacketSize=4000" in r and "qXfer:features:read+" in r and "swbreak+" in r)
expect("qAttached", c.ask("qAttached"), "1")
expect("qC", c.ask("qC"), "QC01")
expect("vCont?", c.ask("vCont?"), "vCont;c;C;s;S")
expect("unknown packet", c.ask("qFrobnicate"), "")
# Real mode: the i8086 description, 32-bit i386 core layout.
xml = c.ask("qXfer:features:read:target.xml:0,fff")
expect("target.xml", xml, lambda r: r[0] == "l" and "<architecture>i8086</architecture>" in r
       and 'name="org.gnu.gdb.i386.core"' in r and 'name="eip"' in r)
expect("other annex", c.ask("qXfer:features:read:frob.xml:0,100"), "E00")
# g: 16 GPRs... for i386: 8 GPRs, eip, eflags, 6 segs (4 bytes), 8 x 10-byte
# st, 8 x 4 control, 8 xmm + mxcsr, 4 x 4 cr + 8 efer
g = c.ask("g")
expect("g length", len(g), 2 * (16 * 4 + 80 + 32 + 128 + 4 + 16 + 8))
expect("eip (linear 0x7c00)", g[64:72], "007c0000")
expect("cs", g[80:88], "c0070000")
expect("G with the wrong length", c.ask("G" + g[:-2]), "E01")
expect("G unchanged", c.ask("G" + g), "OK")
expect("p beyond the registers", c.ask("p999"), "E00")
expect("p eip", c.ask("p8"), "007c0000")
expect("P eax", c.ask("P0=78563412"), "OK")
expect("p eax", c.ask("p0"), "78563412")
expect("P cr0 (read-only)", c.ask("P29=00000000"), "E01")
# Memory: the guest's code, unmapped linear space beyond 4 GiB, bad syntax.
expect("m code", c.ask("m7c00,2"), "0e1f")
expect("m beyond 4 GiB", c.ask("m100000000,4"), "E14")
expect("m malformed", c.ask("m7c00"), "E01")
expect("m overflowing address", c.ask("m11111111111111111,1"), "E01")
expect("M data shorter than said", c.ask("M7d01,2:aa"), "E01")
expect("M oversized", c.ask("M7d01,10000:" + "00" * 16), "E01")
expect("X escaped", c.ask("X7d01,1:}\x03"), "OK")  # 0x23 ('#') escaped
expect("m after X", c.ask("m7d01,1"), "23")
expect("M", c.ask("M7d01,1:2a"), "OK")
expect("M to ROM/unmapped (0xF0000 is outside RAM here)", c.ask("Mf0000,1:00"),
       lambda r: r in ("E14",))
expect("z0 of no breakpoint", c.ask("z0,7c20,1"), "E02")
expect("Z0", c.ask("Z0,7c20,1"), "OK")
expect("z0", c.ask("z0,7c20,1"), "OK")
expect("Z2", c.ask("Z2,7d00,1"), "OK")
expect("z2", c.ask("z2,7d00,1"), "OK")
expect("z2 of none", c.ask("z2,7d00,1"), "E02")
expect("Z4 of 9 bytes", c.ask("Z4,7d00,9"), "E16")
expect("Z5 (unknown type)", c.ask("Z5,7d00,1"), "")
expect("qRcmd of no hex", c.ask("qRcmd,zz"), "E01")
expect("qRcmd of an odd length", c.ask("qRcmd,686"), "E01")
expect("Qqemu.PhyMemMode:2", c.ask("Qqemu.PhyMemMode:2"), "")
# A packet longer than PacketSize is refused, the connection stays usable.
c.s.sendall(frame("M7d01,1:" + "0" * 0x5000))
expect("oversized ack", c.byte().decode(), "+")
expect("oversized packet", c.reply(), "E01")
expect("still there", c.ask("qAttached"), "1")
# Ctrl-C while stopped is ignored.
c.s.sendall(b"\x03")
expect("after Ctrl-C while stopped", c.ask("?"), "T05thread:01;")
# Disconnect in the middle of a packet: the stub lets the guest run on and
# listens again; the guest spins until the flag is set.
c.s.sendall(b"$m7c")
c.s.close()
c = Conn()
expect("reconnected, guest stopped", c.ask("?"), lambda r: r.startswith("T"))
expect("the write of the first session", c.ask("m7d01,1"), "2a")
c.s.sendall(frame("k"))
try:
    c.byte()  # the ack; then the stub closes and ringzero exits
except EOFError:
    pass
if fails:
    for f in fails:
        print("FAIL: " + f)
    gdb.execute("quit 1")
print("rsp_raw: all answers as expected")
