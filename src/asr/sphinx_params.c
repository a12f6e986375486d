#include "asr/sphinx_params.h"

#define MODEL "/usr/share/pocketsphinx/model/en-us"

const struct asr_sphinx_param asr_sphinx_params[] = {
    {"hmm", "-hmm", MODEL "/en-us", "acoustic model folder"},
    {"dict", "-dict", MODEL "/cmudict-en-us.dict", "pronunciation dictionary"},
    {"lm", NULL, MODEL "/en-us.lm.bin", "stock language model"},
    {"lexicon", NULL, "", "medical lexicon (default: data/asr/medical.dic)"},
    {"domain_lm", NULL, "", "dictation language model (default: data/asr/dictation.lm)"},
    {"domain_weight", NULL, "0.5", "weight of the dictation model against the stock one"},
    {"user_lm", NULL, "", "the user's model from dictum asr adapt (default: DATA_DIR/asr/user.lm)"},
    {"user_weight", NULL, "0.3", "weight of the user's model against the other two"},
    {"cmn", "-cmn", "live", "cepstral mean normalisation (live streams)"},
    {"cmn_prime", NULL, "noprofile",
     "a whole file's live CMN starts from its own mean (yes, noprofile: not over a voice "
     "profile's, no)"},
    {"cmn_keep", NULL, "yes",
     "live recordings start from the running mean of the last ones (DATA_DIR/asr/cmn_mean)"},
    {"lw", "-lw", "6.0", "language model weight of the first pass"},
    {"wip", "-wip", "0.65", "word insertion penalty"},
    {"beam", "-beam", "1e-48", "beam for every frame"},
    {"wbeam", "-wbeam", "7e-29", "beam for word exits"},
    {"pbeam", "-pbeam", "1e-48", "beam for phone transitions"},
    {"lpbeam", "-lpbeam", "1e-40", "beam for last-phone transitions"},
    {"lponlybeam", "-lponlybeam", "7e-29", "beam for last-phone-only frames"},
    {"maxhmmpf", "-maxhmmpf", "30000", "most active HMMs per frame"},
    {"maxwpf", "-maxwpf", "-1", "most distinct word exits per frame (-1: no limit)"},
    {"pl_window", "-pl_window", "5", "phoneme lookahead window, frames"},
    {"topn", "-topn", "4", "Gaussians scored per frame"},
    {"ds", "-ds", "1", "frame downsampling ratio for scoring"},
    {"fwdflatbeam", "-fwdflatbeam", "1e-64", "beam of the flat pass"},
    {"fwdflatwbeam", "-fwdflatwbeam", "7e-29", "word-exit beam of the flat pass"},
    {"fwdflatlw", "-fwdflatlw", "8.5", "language model weight of the flat pass"},
    {"bestpathlw", "-bestpathlw", "9.5", "language model weight of the lattice best path"},
    {"fwdflat", "-fwdflat", "yes", "second, flat-lexicon pass"},
    {"bestpath", "-bestpath", "yes", "lattice best path (gives word confidences)"},
    {"vad_threshold", "-vad_threshold", "2.0", "speech / noise log ratio"},
    {"vad_prespeech", "-vad_prespeech", "20", "frames kept before speech"},
    {"vad_startspeech", "-vad_startspeech", "10", "speech frames that start speech"},
    {"vad_postspeech", "-vad_postspeech", "50", "silence frames that end speech"},
    {"utt_max", NULL, "8",
     "seconds of speech without a pause before an utterance is broken (0: never)"},
    {"utt_overlap", NULL, "0.6",
     "a break lies this many seconds back; the audio after it is decoded again"},
};

const size_t asr_sphinx_param_count = sizeof(asr_sphinx_params) / sizeof(asr_sphinx_params[0]);
