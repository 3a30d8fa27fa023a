/* Private to src/data: the word tables of the fictitious-author generator. Every name is built
 * from syllables, so no real person is described; the other tables are common nouns. */
#ifndef LB_FICTITIOUS_WORDS_H
#define LB_FICTITIOUS_WORDS_H

#include <stddef.h>

typedef struct lb_words {
    const char *const *w;
    size_t n;
} lb_words_t;

extern const lb_words_t lb_fw_onsets, lb_fw_vowels, lb_fw_codas, lb_fw_surname_ends,
    lb_fw_place_ends, lb_fw_country_ends, lb_fw_months, lb_fw_occupations, lb_fw_genres,
    lb_fw_award_adj, lb_fw_award_noun, lb_fw_title_adj, lb_fw_title_noun, lb_fw_themes,
    lb_fw_influences, lb_fw_routines, lb_fw_press_noun, lb_fw_subjects, lb_fw_hobbies,
    lb_fw_adaptations;

#endif
