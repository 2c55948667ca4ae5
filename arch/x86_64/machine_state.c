/*
 * machine_state.c - the registers of a trapped thread beyond the general
 * ones, from its Linux signal frame: segment selectors, x87, MXCSR and
 * the vector registers at the width XCR0 enables, as gdb's i386 target
 * shows them.
 *
 * The kernel writes the signal frame's FPU state with XSAVE in the
 * standard (not compacted) format when the CPU has XSAVE, and says so
 * with FP_XSTATE_MAGIC1 in the legacy area's software-reserved bytes;
 * each component's offset is CPUID leaf 0xD's. A component whose
 * XSTATE_BV bit is clear is in its initial state: zeros.
 */
#include <cpuid.h>
#include <string.h>
#include <ucontext.h>

#include "internal/arch.h"

enum {
  XFEATURE_AVX = 2,        /* upper halves of ymm0..15 */
  XFEATURE_OPMASK = 5,     /* k0..k7 */
  XFEATURE_ZMM_HI256 = 6,  /* upper halves of zmm0..15 */
  XFEATURE_HI16_ZMM = 7,   /* zmm16..31 */
  XFEATURE_PKRU = 9,       /* the protection-key rights register */
};

#define XSTATE_MAGIC1 0x46505853u
#define SW_RESERVED 464 /* struct _fpx_sw_bytes in the legacy area */
#define XSAVE_HEADER 512
#define UC_SIGCONTEXT_SS 0x2 /* uc_flags: gregs[REG_CSGSFS] has ss */

extern SNARE_HIDDEN uint64_t snare_x86_state_mask; /* extended_state.c */

/* The XSAVE component `feature` of the signal frame's area, or NULL when
   it is in its initial state or the frame has none. */
static const uint8_t *component(const uint8_t *area, unsigned feature) {
  uint32_t magic, xstate_size;
  uint64_t xfeatures, present;
  memcpy(&magic, area + SW_RESERVED, 4);
  memcpy(&xfeatures, area + SW_RESERVED + 8, 8);
  memcpy(&xstate_size, area + SW_RESERVED + 16, 4);
  if (magic != XSTATE_MAGIC1 || !(xfeatures & (1ull << feature)))
    return NULL;
  memcpy(&present, area + XSAVE_HEADER, 8);
  if (!(present & (1ull << feature)))
    return NULL;
  unsigned eax, ebx, ecx, edx;
  __cpuid_count(0xD, feature, eax, ebx, ecx, edx);
  if (ebx + eax > xstate_size)
    return NULL;
  return area + ebx;
}

/* gdb's i387_tag: the two-bit tag of a non-empty x87 register. */
static unsigned x87_tag(const uint8_t raw[10]) {
  unsigned exponent = (unsigned)(raw[9] & 0x7f) << 8 | raw[8];
  bool integer = raw[7] & 0x80;
  uint64_t fraction;
  memcpy(&fraction, raw, 8);
  fraction &= ~(1ull << 63);
  if (exponent == 0x7fff)
    return 2; /* special: NaN or infinity */
  if (exponent == 0)
    return fraction == 0 && !integer ? 1 /* zero */ : 2 /* denormal */;
  return integer ? 0 /* valid */ : 2 /* unnormal */;
}

static void x87(const uint8_t *area, snare_machine_state *out) {
  uint16_t fcw, fsw, fop;
  memcpy(&fcw, area, 2);
  memcpy(&fsw, area + 2, 2);
  memcpy(&fop, area + 6, 2);
  out->fctrl = fcw;
  out->fstat = fsw;
  out->fop = fop & 0x7ff;
  /* FXSAVE64's 64-bit instruction and operand pointers, split as gdb's
     amd64 target splits them */
  memcpy(&out->fioff, area + 8, 4);
  memcpy(&out->fiseg, area + 12, 4);
  memcpy(&out->fooff, area + 16, 4);
  memcpy(&out->foseg, area + 20, 4);
  for (unsigned i = 0; i < 8; i++)
    memcpy(out->st[i], area + 32 + 16 * i, 10);
  /* FXSAVE's abridged tag has a bit per physical register; st(i) is
     physical register (top + i) mod 8 */
  unsigned abridged = area[4], top = (fsw >> 11) & 7, tag = 0;
  for (unsigned physical = 0; physical < 8; physical++) {
    unsigned t = 3; /* empty */
    if (abridged & (1u << physical))
      t = x87_tag(out->st[(physical + 8 - top) % 8]);
    tag |= t << (2 * physical);
  }
  out->ftag = tag;
}

static void vectors(const uint8_t *area, snare_machine_state *out) {
  uint64_t xcr0 = snare_x86_state_mask;
  bool avx512 = (xcr0 & 0xe0) == 0xe0, avx = xcr0 & (1u << XFEATURE_AVX);
  out->vector_bits = avx512 ? 512 : avx ? 256 : 128;
  out->vector_count = avx512 ? 32 : 16;
  for (unsigned i = 0; i < 16; i++)
    memcpy(out->vector[i], area + 160 + 16 * i, 16);
  const uint8_t *c;
  if (avx && (c = component(area, XFEATURE_AVX)) != NULL)
    for (unsigned i = 0; i < 16; i++)
      memcpy(out->vector[i] + 16, c + 16 * i, 16);
  if (!avx512)
    return;
  if ((c = component(area, XFEATURE_ZMM_HI256)) != NULL)
    for (unsigned i = 0; i < 16; i++)
      memcpy(out->vector[i] + 32, c + 32 * i, 32);
  if ((c = component(area, XFEATURE_HI16_ZMM)) != NULL)
    for (unsigned i = 0; i < 16; i++)
      memcpy(out->vector[16 + i], c + 64 * i, 64);
  if ((c = component(area, XFEATURE_OPMASK)) != NULL)
    memcpy(out->k, c, sizeof out->k);
}

/* PKRU as gdb shows it: the kernel saves it in the signal frame with the
   rest (an absent component is the initial state, 0). */
static void protection_keys(const uint8_t *area, snare_machine_state *out) {
  out->has_pkru = snare_x86_state_mask & (1u << XFEATURE_PKRU);
  const uint8_t *c;
  if (out->has_pkru && (c = component(area, XFEATURE_PKRU)) != NULL)
    memcpy(&out->pkru, c, sizeof out->pkru);
}

void snare_arch_machine_state(const void *context, snare_machine_state *out) {
  const ucontext_t *uc = context;
  memset(out, 0, sizeof *out);
  /* gregs[REG_CSGSFS]: cs, gs, fs, then ss (kernels since 4.6 save it) */
  uint64_t csgsfs = (uint64_t)uc->uc_mcontext.gregs[REG_CSGSFS];
  out->cs = (uint16_t)csgsfs;
  out->gs = (uint16_t)(csgsfs >> 16);
  out->fs = (uint16_t)(csgsfs >> 32);
  if (uc->uc_flags & UC_SIGCONTEXT_SS)
    out->ss = (uint16_t)(csgsfs >> 48);
  /* the signal frame has no ds and es: a 64-bit process's are the same
     in every thread, the ones this thread has */
  uint16_t ds, es;
  __asm__("mov %%ds, %0" : "=r"(ds));
  __asm__("mov %%es, %0" : "=r"(es));
  out->ds = ds;
  out->es = es;
  const uint8_t *area = (const uint8_t *)uc->uc_mcontext.fpregs;
  if (area == NULL) {
    out->vector_bits = 128;
    out->vector_count = 16;
    return;
  }
  x87(area, out);
  memcpy(&out->mxcsr, area + 24, 4);
  vectors(area, out);
  protection_keys(area, out);
}
