/* Private to src/data: the word tables of the fictitious-author generator. Every name is built
 * from syllables, so no real person is described; the other tables are common nouns. */
#ifndef LB_FICTITIOUS_WORDS_H
#define LB_FICTITIOUS_WORDS_H

#include <stddef.h>

typedef struct lb_words {
    const char *const *w;
    size_t n;
} lb_words_t;

extern const lb_words_t lbi_fw_onsets, lbi_fw_vowels, lbi_fw_codas, lbi_fw_surname_ends,
    lbi_fw_place_ends, lbi_fw_country_ends, lbi_fw_months, lbi_fw_occupations, lbi_fw_genres,
    lbi_fw_award_adj, lbi_fw_award_noun, lbi_fw_title_adj, lbi_fw_title_noun, lbi_fw_themes,
    lbi_fw_influences, lbi_fw_routines, lbi_fw_press_noun, lbi_fw_subjects, lbi_fw_hobbies,
    lbi_fw_adaptations;

#endif
