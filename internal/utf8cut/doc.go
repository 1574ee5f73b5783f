// Package utf8cut cuts byte strings at a length without leaving half a
// UTF-8 character at the cut: the list of jobs (package persistence) and
// the output the built-in tasks keep (package handlers) both cut long
// values. It is internal to gigq.
package utf8cut
