; A fatal TD event is explained on stderr: the leaf, the status and what it means
; (td_poison's run: a host write poisons a private page, TDH.VP.ENTER is refused).
;! args: --tdx --mem 128M --max-insns 50000000
;! status: 1
;! stderr: ^vtsim: SEAMCALL TDH.VP.ENTER on lp0 returned TDX_TD_FATAL \(0xe000060400000000\): the TD is fatal and will not run again \(in vtsim: a private page of it was written through another KeyID, so its next access would be a machine check\); only the teardown leaves \(TDH.VP.FLUSH, TDH.MNG.VPFLUSHDONE, TDH.PHYMEM.CACHE.WB, TDH.MNG.KEY.FREEID, TDH.PHYMEM.PAGE.RECLAIM\) still work on it \(TDX module ABI, "Completion Status Codes"\)$
%include "td_poison.asm"
