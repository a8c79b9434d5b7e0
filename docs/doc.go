// Package docs holds the project's documentation pages (Markdown, one page per subject); its
// test checks that every relative link and anchor in them and in the README resolves.
package docs
