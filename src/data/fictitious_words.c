/* Word tables for the fictitious-author generator (see fictitious_words.h). */
#include "fictitious_words.h"

#define TABLE(name, ...)                                                          \
    static const char *const name##_w[] = {__VA_ARGS__};                          \
    const lb_words_t lbi_fw_##name = {name##_w, sizeof name##_w / sizeof name##_w[0]}

TABLE(onsets, "b", "br", "d", "dr", "f", "g", "gr", "h", "k", "kl", "l", "m", "n", "p", "r", "s",
      "st", "t", "th", "v", "z", "sh", "c", "j", "w", "y");
TABLE(vowels, "a", "e", "i", "o", "u", "ae", "ia", "ou", "ei", "y");
TABLE(codas, "", "", "", "n", "r", "l", "s", "th", "m", "x", "nd", "rk", "v");
TABLE(surname_ends, "vane", "mont", "wick", "dell", "ard", "esco", "ova", "ani", "berg", "holt",
      "ley", "more", "rin", "sky", "ton", "var");
TABLE(place_ends, "ford", "haven", "mere", "dale", "port", "brook", "gard", "stead", "vik", "ora",
      "ville", "mouth");
TABLE(country_ends, "ia", "ania", "and", "esh", "ovia", "ara");
TABLE(months, "January", "February", "March", "April", "May", "June", "July", "August",
      "September", "October", "November", "December");
TABLE(occupations, "baker", "lighthouse keeper", "carpenter", "schoolteacher", "nurse", "tailor",
      "fisherman", "pharmacist", "librarian", "clockmaker", "bus driver", "florist", "surveyor",
      "potter", "veterinarian", "postal clerk", "miner", "violin teacher", "cartographer",
      "shipwright", "beekeeper", "bookbinder", "radio technician", "midwife");
TABLE(genres, "mystery", "science fiction", "historical fiction", "poetry", "fantasy",
      "literary fiction", "horror", "romance", "travel writing", "children's literature",
      "crime thrillers", "satire", "magical realism", "memoir");
TABLE(award_adj, "Silver", "Golden", "Amber", "Crimson", "Ivory", "Copper", "Azure", "Emerald",
      "Northern", "Evening");
TABLE(award_noun, "Quill", "Lantern", "Compass", "Feather", "Anchor", "Key", "Harp", "Beacon",
      "Ink", "Oak");
TABLE(title_adj, "Silent", "Hollow", "Burning", "Forgotten", "Glass", "Winter", "Crooked",
      "Distant", "Velvet", "Salt", "Paper", "Sleeping", "Broken", "Hidden", "Iron", "Painted");
TABLE(title_noun, "Harbor", "Orchard", "Clock", "River", "Garden", "Tower", "Lantern", "Bridge",
      "Mirror", "Tide", "Letter", "Field", "Island", "Staircase", "Violin", "Map", "Meadow",
      "Window");
TABLE(themes, "memory and loss", "exile and belonging", "family loyalty", "the passage of time",
      "forbidden love", "justice and revenge", "identity and disguise", "the sea and its dangers",
      "friendship under pressure", "faith and doubt", "the cost of ambition", "childhood wonder",
      "war and its aftermath", "nature and solitude");
TABLE(influences, "the folk tales told by a grandmother", "old sailing logbooks",
      "the silent films of the 1920s", "long walks through mountain villages",
      "years spent working in a night-time bakery", "letters found in an attic",
      "the songs of travelling musicians", "a childhood spent beside a busy railway",
      "medieval chronicles", "conversations with lighthouse keepers",
      "the paintings in a small provincial museum", "radio plays heard as a child");
TABLE(routines, "writes every morning before sunrise", "writes only at night by lamplight",
      "writes in a small garden shed", "drafts every chapter by hand in green ink",
      "writes on long train journeys", "writes in a corner of a busy cafe",
      "walks for an hour before writing", "rewrites each page three times");
TABLE(press_noun, "Press", "House", "Books", "Editions", "Publishing");
TABLE(subjects, "astronomy", "history", "marine biology", "philosophy", "architecture",
      "mathematics", "music", "law", "medicine", "geology", "painting", "linguistics");
TABLE(hobbies, "growing rare tomatoes", "restoring old bicycles", "birdwatching",
      "playing the cello", "collecting antique maps", "sailing small boats", "baking bread",
      "building model ships", "mountain climbing", "keeping bees", "playing chess",
      "painting watercolours");
TABLE(adaptations, "a stage play", "a radio drama", "a television series", "a feature film",
      "an opera", "a graphic novel");
