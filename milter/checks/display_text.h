// display_text.h — a From display name as its reader sees it, for the
// display-name check (display_name.cc): the name taken out of the header
// value, RFC 2047 encoded words decoded, and the text as a mail client shows
// it (invisible code points dropped, symbols and emoji as spaces, and the
// "PayPaI" reading of a capital I).
//
// Bad input never throws: any byte string in; undecodable encoded words and
// invalid UTF-8 are kept as they are (U+FFFD for bytes a charset cannot
// read, and for the non-ASCII bytes of a charset iconv does not know)
// and so match nothing downstream.
#pragma once

#include <string>
#include <string_view>

namespace legit::display_text {

// The display name of a From value, undecoded: the text before '<' (quotes
// removed, quoted pairs unescaped), or the comment of addr (Name).
std::string raw_display(std::string_view v);
// RFC 2047 encoded words decoded (B and Q; UTF-8, or any charset iconv
// knows: KOI8-R, windows-1251, ISO-2022-JP, GBK, Shift_JIS, ... as a mail
// client shows them), white space between two of them dropped; the rest
// read as UTF-8.
std::u32string decode_display(const std::string& raw);
// Styled letters as the letters ("𝗣𝗮𝘆𝗣𝗮𝗹", "Ⓟⓐⓨⓟⓐⓛ", "ᴘᴀʏᴘᴀʟ" are "PayPal":
// Unicode's mathematical, enclosed and small-capital forms), invisible code
// points dropped ("Pay<U+200B>Pal" is "PayPal"), symbols and emoji as spaces
// ("PayPal®", "PayPal 🔒").
std::u32string as_seen(const std::u32string& text);
// A capital I after a small letter, and a '|', as a small l ("PayPaI"): a
// variant to try besides the name as written.
std::u32string ell_for_capital_i(std::u32string text);
// Letters spaced out to slip past filters ("P a y P a l", "P.a.y.P.a.l",
// "A-m-a-z-o-n"): a run of three or more one-character words, each at most
// two spacers (space, tab, '.', '-', '_', '*') after the one before, is
// joined into one word; everything else is kept as written ("A. B. Smith"
// and "J R R Tolkien" read "A. B. Smith" and "JRR Tolkien"). A variant to try
// besides the name as written.
std::u32string joined_letters(const std::u32string& text);

}  // namespace legit::display_text
