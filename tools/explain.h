/* `vtsim explain`: decodes VM-instruction errors, exit reasons and qualifications,
 * TDX module statuses and VM-entry check IDs. */
#ifndef VTSIM_TOOLS_EXPLAIN_H
#define VTSIM_TOOLS_EXPLAIN_H

int vtsim_explain_main(int argc, char **argv);

#endif
