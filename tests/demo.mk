## demo: the README's three-partner demo through the real binary in a scratch copy.
TESTS += tests/check_demo.sh
EXTRA_DIST += tests/check_demo.sh
