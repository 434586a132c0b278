// The material the tokenizer test corpus (tokenizer_corpus.h) is drawn from: English words and
// contractions, CJK text and punctuation, identifiers and lines of code, special-token look-
// alikes, emoji sequences, whitespace and zero-width characters, combining marks, other scripts
// and digit sets, and recently assigned Unicode ranges. Only tokenizer_corpus.cc includes it.
#pragma once

#include <array>
#include <string_view>
#include <utility>

namespace tokenfab::tokenizer::corpus_material {

// The word and character tables are laid out by hand.
// clang-format off
inline constexpr std::string_view kWords[] = {
    "the", "of", "and", "to", "in", "is", "you", "that", "it", "he", "was", "for", "on", "are",
    "as", "with", "his", "they", "I", "at", "be", "this", "have", "from", "or", "one", "had",
    "by", "word", "but", "not", "what", "all", "were", "we", "when", "your", "can", "said",
    "there", "use", "an", "each", "which", "she", "do", "how", "their", "if", "will", "up",
    "other", "about", "out", "many", "then", "them", "these", "so", "some", "her", "would",
    "make", "like", "him", "into", "time", "has", "look", "two", "more", "write", "go", "see",
    "number", "no", "way", "could", "people", "my", "than", "first", "water", "been", "call",
    "who", "oil", "its", "now", "find", "long", "down", "day", "did", "get", "come", "made",
    "may", "part", "token", "factory", "billing", "invoice", "tokenizer", "throughput",
    "latency", "gateway", "region", "electricity", "Shanghai", "Zürich", "naïve", "café",
    "coöperate", "résumé", "façade", "São", "Paulo", "Łódź", "Dvořák", "straße", "GPU",
    "H100", "llama", "Qwen", "COVID-19", "e-mail", "U.S.A.", "Mr.", "Dr.", "etc.", "i.e.",
    "antidisestablishmentarianism", "pneumonoultramicroscopicsilicovolcanoconiosis",
};
inline constexpr std::string_view kContractions[] = {
    "don't", "it's", "we'll", "they're", "I've", "I'm", "he'd", "can't", "won't", "let's",
    "DON'T", "IT'S", "WE'LL", "THEY'RE", "I'VE", "I'M", "HE'D", "You'Re", "We'Ll", "o'clock",
    "rock'n'roll", "'tis", "y'all", "ma'am", "James's", "JAMES'S", "dogs'", "it’s", "can’t",
};
inline constexpr std::string_view kPunctuation[] = {".", ",", "!", "?", ";", ":", " -", " —", "...",
                                             "\"", "(", ")", "[", "]", "'", "?!", " &", "%"};
inline constexpr std::string_view kHanzi =
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学"
    "对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头"
    "面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向"
    "情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信"
    "北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难"
    "神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物"
    "台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指"
    "思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步"
    "完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双"
    "模型词元令牌计费网关区域电力数据中心推理服务";
inline constexpr std::string_view kCjkPunctuation[] = {"，", "。", "！", "？", "、", "“", "”", "《",
                                                "》", "：", "；", "（", "）", "…", "——", "　"};
inline constexpr std::string_view kJapanesePunctuation[] = {"。", "、", "「", "」", "ー", "・", "〜",
                                                     "！", "？", "『", "』", "　"};
inline constexpr std::string_view kIdentifiers[] = {
    "i", "j", "n", "count", "buffer", "tokenIds", "token_ids", "num_tokens", "kMaxBatch",
    "self", "this", "ctx", "request", "response", "std::vector<int32_t>", "absl::Status",
    "np.array", "torch.tensor", "__init__", "_private", "MAX_LEN", "x1", "y2", "fooBar",
    "HTTPServer", "parseJSON", "utf8_decode", "len", "range", "print", "console.log",
};
inline constexpr std::string_view kCodeLines[] = {
    "for (int i = 0; i < n; ++i) {",
    "if (x == nullptr) return absl::InvalidArgumentError(\"bad\");",
    "def encode(self, text: str) -> list[int]:",
    "    return [self.vocab[t] for t in text.split()]",
    "const ids = tokenizer.encode(`Hello ${name}!`);",
    "#include <vector>",
    "SELECT id, name FROM tenants WHERE price > 0.5 ORDER BY id DESC;",
    "<div class=\"row\"><span id='x'>&nbsp;&lt;tag&gt;</span></div>",
    "{\"model\": \"llama-3\", \"max_tokens\": 256, \"stream\": true}",
    "x = a**2 + b**2 // 3 % 7 ^ 0xFF | 0b1010 & ~mask >> 2 << 1",
    "fn main() { println!(\"{:?}\", v.iter().map(|x| x * 2).collect::<Vec<_>>()); }",
    "$ curl -sS http://localhost:8080/v1/completions -d @req.json | jq .usage",
    "} else if (a != b && c <= d || e >= f) {",
    "// TODO(someone): handle the \\r\\n case",
    "/* block comment */ int main(void) { printf(\"%d\\n\", 42); }",
    "lambda x: x if x else None",
    "@@ -1,4 +1,5 @@",
    "std::string s = R\"(raw\\string)\";",
    "0x7fffffff 1e-9 3.14159 -42 +7 1_000_000 .5 5.",
};
inline constexpr std::string_view kSpecialTexts[] = {
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|eot_id|>", "<|begin_of_text|>",
    "<|start_header_id|>", "<|end_header_id|>", "<|reserved_special_token_10|>", "<s>", "</s>",
    "<unk>", "<think>", "</think>", "<tool_call>", "</tool_call>", "<|fim_prefix|>",
    "<|fim_middle|>", "<|file_sep|>", "<|im_", "<|endoftext", "<<s>>", "<|<|eot_id|>|>",
    "<tool_response>", "</tool_response>", "<|repo_name|>", "<|vision_pad|>", "[INST]",
    "[/INST]", "<<SYS>>",
};
// Emoji and emoji sequences: ZWJ families, skin tones, flags, keycaps, variation selectors.
inline constexpr std::string_view kEmojiSequences[] = {
    "👨‍👩‍👧‍👦", "👩🏽‍💻", "🏳️‍🌈", "🏴‍☠️", "❤️", "❤️‍🔥", "👍🏿", "🇨🇳", "🇺🇸", "🇯🇵", "1️⃣",
    "#️⃣", "🧑‍🤝‍🧑", "😀", "🤖", "🚀", "✅", "☕", "⚡", "🐍", "🦀", "💯", "🙏🏻", "👁️‍🗨️",
    "🧔‍♂️", "👩‍❤️‍💋‍👨", "🫠", "🪿", "™️", "©", "🈯",
};
inline constexpr std::string_view kWhitespace[] = {
    " ", "  ", "    ", "\t", "\n", "\n\n", "\r\n", "\r", " \n", "\n ", "\t\t", "\f", "\v",
    "\u0085", "\u00A0", "\u1680", "\u2000", "\u2003", "\u2009", "\u200A", "\u2028", "\u2029",
    "\u202F", "\u205F", "\u3000", " \t \n", "\n\n\n\n", "        ", "\r\n\r\n",
};
inline constexpr std::string_view kZeroWidth[] = {
    "\uFEFF", "\u200B", "\u200C", "\u200D", "\u2060", "\u180E", "\uFE0F", "\u00AD", "\u200E",
    "\u200F", "\u034F", "\u061C", "\u2062", "\uFFFC",
};
// Letters with combining marks, decomposed and precomposed (NFC changes the former).
inline constexpr std::string_view kCombining[] = {
    "e\u0301", "é", "a\u0308", "ä", "n\u0303", "ñ", "A\u030A", "Å", "\u212B", "o\u0302\u0301",
    "ệ", "e\u0323\u0302", "\u1100\u1161\u11A8", "각", "\u0915\u093F", "\u0928\u094D\u0924",
    "\u05E9\u05C1", "\u0627\u064E", "\u0931", "\u0930\u093C", "\uFB01", "\u00C5\u0327",
    "x\u0301\u0301", "\u03A9", "\u2126", "\u1E9B\u0323", "ǅ", "ﬀ", "Ⅻ", "①",
};
inline constexpr std::string_view kScripts[] = {
    "Съешь же ещё этих мягких французских булок", "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία",
    "صِف خَلقَ خَودِ كَمِثلِ الشَمسِ إِذ بَزَغَت", "דג סקרן שט בים מאוכזב ולפתע מצא חברה",
    "ऋषियों को सताने वाले दुष्ट राक्षसों के राजा रावण का सर्वनाश", "เป็นมนุษย์สุดประเสริฐเลิศคุณค่า",
    "다람쥐 헌 쳇바퀴에 타고파", "Tiếng Việt có dấu", "İstanbul'da ılık bir akşam",
    "Árvíztűrő tükörfúrógép", "Příliš žluťoučký kůň úpěl ďábelské ódy", "ſtraße ſoll",
    "Ꭰꭰ ᏣᎳᎩ", "ትግርኛ", "ᠮᠣᠩᠭᠣᠯ", "ꦗꦮ", "𐌰𐌱𐌲", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝐀𝐁𝐂 𝟎𝟏𝟐",
};
inline constexpr std::string_view kDigitSets[] = {
    "0123456789", "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९", "০১২৩৪৫৬৭৮৯", "０１２３４５６７８９",
    "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗", "๐๑๒๓๔๕๖๗๘๙", "၀၁၂၃၄၅၆၇၈၉", "²³¹⁴⁵⁶⁷⁸⁹⁰", "₀₁₂₃₄₅₆₇₈₉",
    "½⅓¼⅕⅙⅛", "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ", "①②③④⑤⑥⑦⑧⑨⑩", "〇一二三",
};
// Ranges assigned in Unicode 15.1, 16.0 and 17.0 (letters, digits and others), where Unicode
// versions of tokenizer implementations disagree.
inline constexpr std::array<std::pair<char32_t, char32_t>, 16> kRecentRanges = {{
    {0x2EBF0, 0x2EE5D}, {0x1C89, 0x1C8A},   {0xA7CB, 0xA7DC},   {0x105C0, 0x105F3},
    {0x10D40, 0x10D8F}, {0x11380, 0x113E2}, {0x116D0, 0x116E3}, {0x11BC0, 0x11BF9},
    {0x13460, 0x143FA}, {0x16100, 0x16139}, {0x16D40, 0x16D79}, {0x1CCF0, 0x1CCF9},
    {0x1E5D0, 0x1E5FF}, {0x1E6C0, 0x1E6FF}, {0x088F, 0x088F},   {0x323B0, 0x33479},
}};

// clang-format on

}  // namespace tokenfab::tokenizer::corpus_material
