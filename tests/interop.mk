## interop: outbound X12 and EDIFACT documents read by independent parsers from npm
## (node-x12 strict, x12-parser, edifact), installed into tests/interop/node_modules by
## tests/interop/install.sh; skipped without them unless EDIGW_REQUIRE_INTEROP=1.
## See doc/interop.md.
TESTS += tests/check_interop.sh
EXTRA_DIST += tests/check_interop.sh tests/interop/install.sh tests/interop/package.json \
	tests/interop/package-lock.json tests/interop/lib.js tests/interop/x12-check.js \
	tests/interop/edifact-check.js tests/data/interop
