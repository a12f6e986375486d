#ifndef DICTUM_AUDIO_LIB_H
#define DICTUM_AUDIO_LIB_H

/* Audio: capture backends behind one contract, decoding of uploaded files,
 * conversion to 16 kHz mono, the level meter, the crash-safe WAV writer and
 * its repair. Depends on core only; knows nothing of SQLite. */
#include "audio/capture.h"
#include "audio/decode.h"
#include "audio/level.h"
#include "audio/resample.h"
#include "audio/wav.h"

#endif
