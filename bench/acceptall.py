#!/usr/bin/python3
"""acceptall.py -- the baseline milter of bench/run.sh: pymilter
(python3-milter, Debian's libmilter underneath, like legit-milter) that
answers every step with CONTINUE and end-of-message with ACCEPT, changes
nothing. It implements every callback, so it negotiates no step away and
the benchmark client sends and awaits the same steps as with legit-milter.
usage: acceptall.py inet:PORT@127.0.0.1
"""
import sys
import Milter


class AcceptAll(Milter.Base):
    def connect(self, hostname, family, hostaddr): return Milter.CONTINUE
    def hello(self, name): return Milter.CONTINUE
    def envfrom(self, f, *s): return Milter.CONTINUE
    def envrcpt(self, to, *s): return Milter.CONTINUE
    def data(self): return Milter.CONTINUE
    def header(self, name, value): return Milter.CONTINUE
    def eoh(self): return Milter.CONTINUE
    def body(self, chunk): return Milter.CONTINUE
    def eom(self): return Milter.ACCEPT


if __name__ == "__main__":
    Milter.factory = AcceptAll
    Milter.runmilter("acceptall", sys.argv[1], 30)
