# Pass Numérique - the two commands are `make run` and `make test`.
# Odoo 18.0 comes from ODOO_SRC (remembered in the cache after the first run).
SHELL := /bin/bash
DB ?= pass_demo
PORT ?= 8069
TEST_DB ?= pass_test_$(shell echo $$PPID)
SETUP := bash scripts/setup.sh

.PHONY: run test test-odoo test-rpc lint bench setup clean-db help cluster cluster-stop cluster-test load

help:
	@echo "make run    - set up, create the demo database '$(DB)', serve http://127.0.0.1:$(PORT)"
	@echo "make test   - set up, then run every test on a throw-away database"
	@echo "make lint   - ruff + pylint-odoo (pre-commit)"
	@echo "make bench  - benchmarks in scripts/bench_*.py on a throw-away database"
	@echo "make test-odoo - Odoo's and OCA's own tests with and without our addons, compared"
	@echo "make cluster - PostgreSQL primary + hot-standby replica, two Odoo servers (8170, 8171)"
	@echo "make cluster-test - reads on the replica, writes on the primary, replica down, two servers"
	@echo "make load   - month-end load test (locust) against the cluster; make cluster-stop"

setup:
	@$(SETUP) env

run:
	@$(SETUP) db $(DB) demo
	@echo
	@echo "  Pass Numérique demo: http://127.0.0.1:$(PORT)/odoo  (database $(DB))"
	@echo "  Log in as admin / admin"
	@echo
	@$(SETUP) odoo -d $(DB) --db-filter='^$(DB)$$' --http-port=$(PORT) --log-level=warn

test:
	@bash scripts/run_tests.sh

test-odoo:
	@bash scripts/run_odoo_tests.sh

lint:
	@$(SETUP) env
	@PATH="$$($(SETUP) vars | sed -n 's/^VENV=//p')/bin:$$PATH" pre-commit run --all-files

bench:
	@bash scripts/run_bench.sh

cluster:
	@bash scripts/cluster.sh start

cluster-stop:
	@bash scripts/cluster.sh stop

cluster-test:
	@bash scripts/cluster.sh test

load:
	@bash scripts/cluster.sh load

clean-db:
	@$(SETUP) dropdb $(DB)
