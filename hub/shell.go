package hub

import "strings"

// Commands splits shell text into simple commands, each a list of words,
// well enough to recognise docker command lines in hooks and CI files:
// quotes and backslashes are honoured, a backslash-newline continues the
// line, "#" starts a comment at the start of a word, and ; && || | & and
// newlines end a command. Expansions ($VAR, $(…)) stay as written; words
// are never globbed. A leading "sudo", "exec", "time", "command" or "env
// K=V…" prefix is dropped, as are leading K=V assignments.
func Commands(text string) [][]string { return splitCommands(text, true) }

// splitCommands is Commands; trim false keeps the K=V words and prefixes.
func splitCommands(text string, trim bool) [][]string {
	var out [][]string
	var cmd []string
	var word strings.Builder
	inWord := false
	endWord := func() {
		if inWord {
			cmd = append(cmd, word.String())
			word.Reset()
			inWord = false
		}
	}
	endCmd := func() {
		endWord()
		c := cmd
		if trim {
			c = trimPrefixWords(cmd)
		}
		if len(c) > 0 {
			out = append(out, c)
		}
		cmd = nil
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\\' && i+1 < len(text):
			i++
			if text[i] != '\n' {
				word.WriteByte(text[i])
				inWord = true
			}
		case c == '\'':
			end := strings.IndexByte(text[i+1:], '\'')
			if end < 0 {
				end = len(text) - i - 1
			}
			word.WriteString(text[i+1 : i+1+end])
			inWord = true
			i += end + 1
		case c == '"':
			i = readDouble(text, i+1, &word)
			inWord = true
		case c == '#' && !inWord:
			for i < len(text) && text[i] != '\n' {
				i++
			}
			endCmd()
		case c == '>' || c == '<':
			if inWord && strings.Trim(word.String(), "0123456789") == "" {
				word.Reset() // the fd of 2>file
				inWord = false
			}
			endWord()
			i = skipRedirect(text, i)
		case c == ' ' || c == '\t':
			endWord()
		case c == '\n' || c == ';' || c == '&' || c == '|':
			endCmd()
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	endCmd()
	return out
}

// skipRedirect skips a redirection starting at text[i] (>, >>, 2>&1,
// <file, &>file) and its target, and returns the index of its last byte.
func skipRedirect(text string, i int) int {
	for i+1 < len(text) && strings.IndexByte("<>", text[i+1]) >= 0 {
		i++
	}
	if i+1 < len(text) && text[i+1] == '&' {
		i++
		for i+1 < len(text) && strings.IndexByte("0123456789-", text[i+1]) >= 0 {
			i++
		}
		return i
	}
	for i+1 < len(text) && (text[i+1] == ' ' || text[i+1] == '\t') {
		i++
	}
	for i+1 < len(text) && strings.IndexByte(" \t\n;&|", text[i+1]) < 0 {
		i++
	}
	return i
}

// readDouble copies a double-quoted string starting at text[i] into w and
// returns the index of its closing quote.
func readDouble(text string, i int, w *strings.Builder) int {
	for ; i < len(text); i++ {
		switch c := text[i]; {
		case c == '"':
			return i
		case c == '\\' && i+1 < len(text) && strings.IndexByte("\"\\$`\n", text[i+1]) >= 0:
			i++
			if text[i] != '\n' {
				w.WriteByte(text[i])
			}
		default:
			w.WriteByte(c)
		}
	}
	return i
}

// trimPrefixWords drops what runs a command rather than being it.
func trimPrefixWords(cmd []string) []string {
	for len(cmd) > 0 {
		switch w := cmd[0]; {
		case w == "sudo" || w == "exec" || w == "time" || w == "command" || w == "env" || w == "then" || w == "do" || w == "else" || w == "!":
			cmd = cmd[1:]
		case len(cmd) > 1 && isAssignment(w):
			cmd = cmd[1:]
		default:
			return cmd
		}
	}
	return cmd
}

// isAssignment reports whether w is NAME=value.
func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	if !ok || name == "" {
		return false
	}
	for i, r := range name {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
