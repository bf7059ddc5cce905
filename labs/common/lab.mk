# lab.mk: `make check` for a lab. Included by labs/NN-name/Makefile.
#   VTSIM  the vtsim program (default: the one `make` at the top builds)
#   SRC    the folder whose vmm.asm is checked (default: the lab's own; `make check
#          SRC=solution` checks the reference solution)
#   OUT    where the image and the run's output go (default: build/ in the lab)
LABS   := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
VTSIM  ?= $(LABS)/../build/vtsim
NASM   ?= nasm
SRC    ?= .
OUT    ?= build
INCLUDES := -I$(SRC)/ -I$(LABS)/common/ -I$(LABS)/../tests/images/

.PHONY: check clean
check:
	@mkdir -p $(OUT)
	@$(NASM) -f bin $(INCLUDES) -o $(OUT)/vmm.img $(SRC)/vmm.asm
	@VTSIM="$(VTSIM)" OUT="$(OUT)" bash check.sh $(OUT)/vmm.img

clean:
	rm -rf build
