#!/usr/bin/env python3
"""Runs every test_* function of tests/e2e/test_*.py against a running stack.

Usage: run_all.py [substring ...]   (only tests whose module.name contains one)
Prints one line per test, then exactly one line "N passed, N failed".
"""
import importlib
import inspect
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


def collect():
    sys.path.insert(0, HERE)
    tests = []
    for fn in sorted(os.listdir(HERE)):
        if fn.startswith("test_") and fn.endswith(".py"):
            mod = importlib.import_module(fn[:-3])
            funcs = [f for n, f in vars(mod).items()
                     if n.startswith("test_") and inspect.isfunction(f) and f.__module__ == mod.__name__]
            funcs.sort(key=lambda f: f.__code__.co_firstlineno)
            tests += [("%s.%s" % (mod.__name__, f.__name__), f) for f in funcs]
    return tests


def main(argv):
    tests = collect()
    if argv:
        tests = [(n, f) for n, f in tests if any(a in n for a in argv)]
    passed = failed = 0
    for name, f in tests:
        t0 = time.time()
        try:
            f()
        except Exception as e:  # a test's failure, whatever it raised
            failed += 1
            where = traceback.extract_tb(e.__traceback__)
            at = next((fr for fr in reversed(where) if os.path.basename(fr.filename).startswith("test_")),
                      where[-1])
            msg = ("%s: %s" % (type(e).__name__, e)).replace("\n", " ")
            print("FAIL %s (%.1fs) [%s:%d] %s" % (name, time.time() - t0,
                                                 os.path.basename(at.filename), at.lineno, msg[:2000]),
                  flush=True)
        else:
            passed += 1
            print("ok   %s (%.1fs)" % (name, time.time() - t0), flush=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed or not tests else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
