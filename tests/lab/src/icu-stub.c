// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lab only: stand-ins for the seven ICU converter functions that Debian's
 * static libxml2.a refers to, so that the static apfctl copied into the lab
 * initramfs does not carry ICU's 30 MB data library.  libxml2 calls them only
 * to convert documents in encodings it has no built-in converter for; apfctl
 * reads libvirt domain XML (UTF-8, built in) in `apfctl hook` only, which the
 * lab does not run.  Every conversion here fails cleanly.
 *
 * ICU_SUFFIX is ICU's symbol version (e.g. _72), passed by the lab build,
 * which reads it from `nm -u libxml2.a`.
 */
#include <stddef.h>
#include <stdint.h>

#ifndef ICU_SUFFIX
#error "define ICU_SUFFIX, e.g. -DICU_SUFFIX=_72"
#endif
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define V(name) CAT(name, ICU_SUFFIX)

typedef int UErrorCode;
#define U_UNSUPPORTED_ERROR 16

void *V(ucnv_open)(const char *name, UErrorCode *err);
void V(ucnv_close)(void *cnv);
void V(ucnv_convertEx)(void *t, void *s, char **target, const char *tlim,
		       const char **source, const char *slim, void *pb, void **ps,
		       void **pt, void *pl, int reset, int flush, UErrorCode *err);
void V(ucnv_setFromUCallBack)(void *c, void *a, const void *b, void *d, void *e,
			      UErrorCode *err);
void V(ucnv_setToUCallBack)(void *c, void *a, const void *b, void *d, void *e,
			    UErrorCode *err);
void V(UCNV_FROM_U_CALLBACK_STOP)(void);
void V(UCNV_TO_U_CALLBACK_STOP)(void);

void *V(ucnv_open)(const char *name, UErrorCode *err)
{
	(void)name;
	if (err)
		*err = U_UNSUPPORTED_ERROR;
	return NULL;
}

void V(ucnv_close)(void *cnv)
{
	(void)cnv;
}

void V(ucnv_convertEx)(void *t, void *s, char **target, const char *tlim,
		       const char **source, const char *slim, void *pb, void **ps,
		       void **pt, void *pl, int reset, int flush, UErrorCode *err)
{
	(void)t; (void)s; (void)target; (void)tlim; (void)source; (void)slim;
	(void)pb; (void)ps; (void)pt; (void)pl; (void)reset; (void)flush;
	if (err)
		*err = U_UNSUPPORTED_ERROR;
}

void V(ucnv_setFromUCallBack)(void *c, void *a, const void *b, void *d, void *e,
			      UErrorCode *err)
{
	(void)c; (void)a; (void)b; (void)d; (void)e;
	if (err)
		*err = U_UNSUPPORTED_ERROR;
}

void V(ucnv_setToUCallBack)(void *c, void *a, const void *b, void *d, void *e,
			    UErrorCode *err)
{
	(void)c; (void)a; (void)b; (void)d; (void)e;
	if (err)
		*err = U_UNSUPPORTED_ERROR;
}

void V(UCNV_FROM_U_CALLBACK_STOP)(void)
{
}

void V(UCNV_TO_U_CALLBACK_STOP)(void)
{
}
