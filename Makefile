# yanxiu — build, run and test. `make run` and `make test` are the two commands.
CC      ?= cc
PKGS    := libzmq libevent libevent_openssl libprotobuf-c jansson libarchive libpq openssl
WARN    := -Wall -Wextra -Werror
CFLAGS  ?= -O2 -g
CPPFLAGS = -std=c11 -D_GNU_SOURCE -Icommon -Ibuild/gen $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lm
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

PROTOS   := $(wildcard proto/*.proto)
GEN_C    := $(patsubst proto/%.proto,build/gen/%.pb-c.c,$(PROTOS))
GEN_H    := $(GEN_C:.c=.h)
LIB_SRC  := $(wildcard common/*.c) $(GEN_C)
SERVICES := gateway roster credits
BINS     := $(addprefix build/bin/yanxiu-,$(SERVICES)) build/bin/yanxiuctl build/bin/yanxiu-bench-bus
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNITS    := $(patsubst tests/unit/%.c,build/test/%,$(UNIT_SRC))

obj = $(patsubst %.c,build/obj/$(1)/%.o,$(2))

.PHONY: all deps deps-check run up down test unit e2e bench clean fmt
.SECONDARY: # objects and generated sources are kept, so a second build compiles nothing
all: deps-check $(BINS)

deps:
	@deploy/deps.sh install
deps-check:
	@deploy/deps.sh check

# --- generated protobuf code -------------------------------------------------
build/gen/%.pb-c.c build/gen/%.pb-c.h: proto/%.proto
	@mkdir -p build/gen
	@echo "  PROTO   $<"
	@protoc-c --proto_path=proto --c_out=build/gen $<

# --- objects: release (rel) and sanitized (san) flavours ----------------------
build/obj/rel/%.o: %.c $(GEN_H)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c $< -o $@
build/obj/san/%.o: %.c $(GEN_H)
	@mkdir -p $(dir $@)
	@echo "  CC san  $<"
	@$(CC) $(CPPFLAGS) -O1 -g $(SAN) $(WARN) -MMD -MP -c $< -o $@

build/lib/libyanxiu.a: $(call obj,rel,$(LIB_SRC))
	@mkdir -p $(dir $@)
	@$(AR) rcs $@ $^
build/lib/libyanxiu-san.a: $(call obj,san,$(LIB_SRC))
	@mkdir -p $(dir $@)
	@$(AR) rcs $@ $^

# each service's migrations/NNN_name.sql are compiled into the daemon
migrations = $(if $(wildcard services/$(1)/migrations/*.sql),build/obj/rel/build/gen/$(1)_migrations.o)

.SECONDEXPANSION:
build/gen/%_migrations.c: $$(sort $$(wildcard services/$$*/migrations/*.sql)) deploy/embed-sql.sh
	@mkdir -p build/gen
	@deploy/embed-sql.sh $* $(filter %.sql,$^) > $@
build/bin/yanxiu-%: $$(call obj,rel,$$(wildcard services/$$*/*.c)) $$(call migrations,$$*) build/lib/libyanxiu.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
build/bin/yanxiuctl: $(call obj,rel,$(wildcard services/yanxiuctl/*.c)) $(call migrations,gateway) build/lib/libyanxiu.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
build/bin/yanxiu-bench-bus: $(call obj,rel,tests/bench/bench_bus.c) build/lib/libyanxiu.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
# a service's parsers are unit-tested too: test_<service>_*.c sees that service's headers
# and links its objects
build/obj/san/tests/unit/test_roster_%.o: CPPFLAGS += -Iservices/roster
unit_objs = $(call obj,san,tests/unit/$(1).c $(filter-out %/main.c,$(wildcard services/$(word 2,$(subst _, ,$(1)))/*.c)))
build/test/test_%: $$(call unit_objs,test_$$*) build/lib/libyanxiu-san.a
	@mkdir -p $(dir $@)
	@echo "  LD san  $@"
	@$(CC) $(SAN) -o $@ $^ $(LDLIBS) -lcmocka

# --- the stack ------------------------------------------------------------------
run: deps all
	@deploy/stack.sh run
up: deps all
	@deploy/stack.sh up
down:
	@deploy/stack.sh down

# --- tests and benchmarks -----------------------------------------------------------
test: deps all $(UNITS)
	@tests/run.sh $(UNITS)
unit: all $(UNITS)
	@tests/run.sh --unit-only $(UNITS)
e2e: all
	@tests/run.sh --e2e-only
bench: deps all
	@tests/bench/run.sh

fmt:
	clang-format -i $$(git ls-files '*.c' '*.h')
clean:
	rm -rf build

-include $(shell find build/obj -name '*.d' 2>/dev/null)
