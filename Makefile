# plr: the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCAL_PG_ADMIN ?= postgresql://postgres@127.0.0.1:5432/postgres
LOCAL_AMQP ?= amqp://guest:guest@127.0.0.1:5672/
LOCAL_AMQP_MANAGEMENT ?= http://guest:guest@127.0.0.1:15672

# what the tests use: the machine's servers, each run in its own databases and vhost
export PLR_TEST_DATABASE_ADMIN_URL ?= $(LOCAL_PG_ADMIN)
export PLR_TEST_AMQP_URI ?= $(LOCAL_AMQP)
export PLR_TEST_AMQP_MANAGEMENT_URL ?= $(LOCAL_AMQP_MANAGEMENT)

.PHONY: venv run test test-unit test-integration test-faults lint proto bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "plr: $(PYTHON) is needed (Python 3.11)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	bash deploy/local/start-servers.sh
	$(BIN)/python -m services.common.admin.local_run

# unit and integration tests in one pytest process; the eventlet-patched ones (nameko in-process)
# and the fault-injection proofs in their own
# pytest's exit 5 (nothing collected) is not a failure of the code: reported, not fatal
test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not faults" services tests || { rc=$$?; [ $$rc -eq 5 ] && echo "no tests selected"; [ $$rc -eq 5 ]; }
	$(BIN)/python -m pytest -q -m faults tests || { rc=$$?; [ $$rc -eq 5 ] && echo "no fault tests selected"; [ $$rc -eq 5 ]; }

lint: $(STAMP)
	$(BIN)/ruff check services tests conftest.py
	$(BIN)/mypy services tests

proto: $(STAMP)
	$(BIN)/python -m grpc_tools.protoc -I proto --python_out=proto/gen/python --pyi_out=proto/gen/python \
		--grpc_python_out=proto/gen/python $$(find proto/plr -name '*.proto')

bench: $(STAMP)
	$(BIN)/python -m tests.bench.pipeline
	$(BIN)/python -m tests.bench.leader_read
	$(BIN)/python -m tests.bench.leader_import

clean:
	rm -rf $(VENV) .plr
