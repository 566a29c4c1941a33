// SPDX-License-Identifier: GPL-2.0

//! `#[kunit_tests]`: a KUnit suite from a module of `#[test]` functions.

use proc_macro::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};

/// What the attribute's arguments ask for.
struct Args {
    suite: Ident,
    init_section: bool,
    suite_init: Vec<TokenTree>,
}

fn parse_args(attr: TokenStream) -> Args {
    let mut it = attr.into_iter().peekable();
    let suite = match it.next() {
        Some(TokenTree::Ident(suite)) => suite,
        _ => panic!("#[kunit_tests(suite_name)] needs the suite's name"),
    };
    let mut args = Args {
        suite,
        init_section: false,
        suite_init: Vec::new(),
    };
    while let Some(token) = it.next() {
        match token {
            TokenTree::Punct(p) if p.as_char() == ',' => {}
            other => panic!("#[kunit_tests]: expected `,`, found `{other}`"),
        }
        match it.next() {
            None => break,
            Some(TokenTree::Ident(word)) if word.to_string() == "init_section" => {
                args.init_section = true;
            }
            Some(TokenTree::Ident(word)) if word.to_string() == "suite_init" => {
                match it.next() {
                    Some(TokenTree::Punct(p)) if p.as_char() == '=' => {}
                    _ => panic!("#[kunit_tests]: expected `suite_init = path`"),
                }
                while let Some(token) = it.peek() {
                    if matches!(token, TokenTree::Punct(p) if p.as_char() == ',') {
                        break;
                    }
                    args.suite_init.extend(it.next());
                }
                if args.suite_init.is_empty() {
                    panic!("#[kunit_tests]: `suite_init =` needs a function");
                }
            }
            Some(other) => panic!("#[kunit_tests]: unknown argument `{other}`"),
        }
    }
    args
}

/// `::core::line!()` with every token at `span`: it then expands to the
/// line of `span`, not to that of the attribute.
fn line_of(span: Span) -> TokenStream {
    let mut tokens = Vec::new();
    for segment in ["core", "line"] {
        for spacing in [Spacing::Joint, Spacing::Alone] {
            let mut colon = Punct::new(':', spacing);
            colon.set_span(span);
            tokens.push(TokenTree::Punct(colon));
        }
        tokens.push(TokenTree::Ident(Ident::new(segment, span)));
    }
    let mut bang = Punct::new('!', Spacing::Alone);
    bang.set_span(span);
    tokens.push(TokenTree::Punct(bang));
    let mut group = Group::new(Delimiter::Parenthesis, TokenStream::new());
    group.set_span(span);
    tokens.push(TokenTree::Group(group));
    tokens.into_iter().collect()
}

fn is_test_attribute(group: &Group) -> bool {
    group.delimiter() == Delimiter::Bracket && group.stream().to_string() == "test"
}

pub(crate) fn kunit_tests(attr: TokenStream, ts: TokenStream) -> TokenStream {
    let args = parse_args(attr);
    let mut tokens: Vec<TokenTree> = ts.into_iter().collect();
    let body = match tokens.pop() {
        Some(TokenTree::Group(body)) if body.delimiter() == Delimiter::Brace => body,
        _ => panic!("#[kunit_tests] goes on an inline module: `mod tests {{ ... }}`"),
    };

    // The body without its `#[test]` attributes, and the functions they
    // marked; in an init-section suite these go to `.init.text`.
    let mut items = Vec::new();
    let mut cases = Vec::new();
    let mut marked = false;
    let mut it = body.stream().into_iter().peekable();
    while let Some(token) = it.next() {
        match &token {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                if let Some(TokenTree::Group(group)) = it.peek() {
                    if is_test_attribute(group) {
                        it.next();
                        marked = true;
                        if args.init_section {
                            items.extend(
                                "#[link_section = \".init.text\"]"
                                    .parse::<TokenStream>()
                                    .unwrap(),
                            );
                        }
                        continue;
                    }
                }
            }
            TokenTree::Ident(word) if marked && word.to_string() == "fn" => {
                if let Some(TokenTree::Ident(name)) = it.peek() {
                    cases.push(name.clone());
                    marked = false;
                }
            }
            _ => {}
        }
        items.push(token);
    }
    if cases.is_empty() {
        panic!("#[kunit_tests] found no `#[test]` function in the module");
    }

    let (text, data, table) = if args.init_section {
        (".init.text", ".ref.data", ".kunit_init_test_suites")
    } else {
        (".text", ".data", ".kunit_test_suites")
    };
    let mut inputs: TokenStream = format!("{}, {text:?}, {data:?}, {table:?},", args.suite)
        .parse()
        .unwrap();
    inputs.extend(args.suite_init);
    inputs.extend(",".parse::<TokenStream>().unwrap());
    // Each case with its own line, so that a case that returns an error is
    // reported where it is defined.
    let mut list = TokenStream::new();
    for case in &cases {
        list.extend([TokenTree::Ident(case.clone())]);
        list.extend("=>".parse::<TokenStream>().unwrap());
        list.extend(line_of(case.span()));
        list.extend(",".parse::<TokenStream>().unwrap());
    }
    inputs.extend([TokenTree::Group(Group::new(Delimiter::Bracket, list))]);
    items.extend("::kernel::__kunit_suite!".parse::<TokenStream>().unwrap());
    items.push(TokenTree::Group(Group::new(Delimiter::Parenthesis, inputs)));
    items.extend(";".parse::<TokenStream>().unwrap());

    let mut new_body = Group::new(Delimiter::Brace, items.into_iter().collect());
    new_body.set_span(body.span());
    tokens.push(TokenTree::Group(new_body));
    tokens.into_iter().collect()
}
