# Shortcuts for the README's two commands.
.PHONY: run test bench
run:
	./bin/run
test:
	./bin/test
bench:
	./bin/bench
