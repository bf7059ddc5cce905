/* 8259A mask and initialization registers; PCI configuration mechanism #1 with an
 * empty bus. */
#include "sim/cpu/pc_ports.h"

#include "sim/cpu/machine.h"

#define PIC_ICW1       0x10   /* command-port bit 4: ICW1, starts initialization */
#define PIC_ICW1_IC4   0x01
#define PIC_ICW1_SNGL  0x02

static struct pic8259 *pic_of(struct lp *lp, uint16_t port)
{
	return &lp->m->pc.pic[(port & 0x80) ? 1 : 0];
}

uint32_t pic_io_read(struct lp *lp, uint16_t port, unsigned size)
{
	struct pic8259 *p = pic_of(lp, port);
	return (port & 1) ? p->imr : 0;   /* command port: IRR/ISR, both empty */
}

/* The data port during initialization takes ICW2, ICW3 and ICW4 in order, skipping
 * those ICW1 said are absent; after that it writes the mask. */
static void pic_data_write(struct pic8259 *p, uint8_t v)
{
	switch (p->icw_next) {
	case 2:
		p->vector_base = v & 0xf8;
		p->icw_next = !p->single ? 3 : p->need_icw4 ? 4 : 0;
		return;
	case 3:
		p->icw_next = p->need_icw4 ? 4 : 0;
		return;
	case 4:
		p->icw_next = 0;
		return;
	default:
		p->imr = v;
	}
}

void pic_io_write(struct lp *lp, uint16_t port, unsigned size, uint32_t v)
{
	struct pic8259 *p = pic_of(lp, port);
	if (port & 1) {
		pic_data_write(p, (uint8_t)v);
	} else if (v & PIC_ICW1) {
		/* ICW1 clears the mask register (8259A data sheet). OCW2/OCW3 (EOI,
		 * register select) change nothing visible here. */
		p->imr = 0;
		p->single = v & PIC_ICW1_SNGL;
		p->need_icw4 = v & PIC_ICW1_IC4;
		p->icw_next = 2;
	}
}

#define PCI_CONFIG_ADDRESS 0xcf8

uint32_t pci_conf_io_read(struct lp *lp, uint16_t port, unsigned size)
{
	/* Only a doubleword access at 0xCF8 reaches CONFIG_ADDRESS. */
	if (port == PCI_CONFIG_ADDRESS && size == 4)
		return lp->m->pc.pci_address;
	return 0xffffffffu;
}

void pci_conf_io_write(struct lp *lp, uint16_t port, unsigned size, uint32_t v)
{
	if (port == PCI_CONFIG_ADDRESS && size == 4)
		lp->m->pc.pci_address = v & ~3u;
}
