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
                if !args.suite_init.is_empty() {
                    panic!("#[kunit_tests]: `suite_init` given twice");
                }
                match it.next() {
                    Some(TokenTree::Punct(p)) if p.as_char() == '=' => {}
                    _ => panic!("#[kunit_tests]: expected `suite_init = path`"),
                }
                while let Some(token) = it.peek() {
                    if is_punct(Some(token), ',') {
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

fn is_punct(token: Option<&TokenTree>, c: char) -> bool {
    matches!(token, Some(TokenTree::Punct(p)) if p.as_char() == c)
}

fn is_ident(token: Option<&TokenTree>, word: &str) -> bool {
    matches!(token, Some(TokenTree::Ident(i)) if i.to_string() == word)
}

/// Fails the build if `body` uses `assert!`, `assert_eq!` or `assert_ne!`:
/// in the kernel they panic instead of failing the case.
fn reject_asserts(body: TokenStream) {
    let tokens: Vec<TokenTree> = body.into_iter().collect();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Group(group) => reject_asserts(group.stream()),
            TokenTree::Ident(word)
                if matches!(
                    word.to_string().as_str(),
                    "assert" | "assert_eq" | "assert_ne"
                ) && is_punct(tokens.get(i + 1), '!') =>
            {
                panic!("#[test]: `{word}!` panics the kernel, check with kunit_expect!");
            }
            _ => {}
        }
    }
}

/// The name of the function an item starting at `item` (just after its
/// `#[test]`) declares, which must be a plain `fn name() { ... }` with at
/// most a visibility, other attributes and doc comments.
fn test_fn(item: &[TokenTree]) -> Ident {
    let mut i = 0;
    while is_punct(item.get(i), '#') {
        match item.get(i + 1) {
            Some(TokenTree::Group(group)) if is_test_attribute(group) => {
                panic!("#[kunit_tests]: `#[test]` given twice")
            }
            Some(TokenTree::Group(group)) if group.stream().to_string().starts_with("cfg") => {
                panic!(
                    "#[kunit_tests]: a `#[test]` function cannot be `#[cfg]`-ed out of its suite"
                )
            }
            _ => i += 2,
        }
    }
    if is_ident(item.get(i), "pub") {
        i += 1;
        let scope = |g: &Group| g.delimiter() == Delimiter::Parenthesis;
        if matches!(item.get(i), Some(TokenTree::Group(g)) if scope(g)) {
            i += 1;
        }
    }
    let name = match (item.get(i), item.get(i + 1)) {
        (Some(TokenTree::Ident(word)), Some(TokenTree::Ident(name)))
            if word.to_string() == "fn" =>
        {
            name.clone()
        }
        (other, _) => panic!(
            "#[test] goes on a plain `fn`, found `{}`",
            other.map_or(String::new(), |t| t.to_string())
        ),
    };
    match item.get(i + 2) {
        Some(TokenTree::Group(args))
            if args.delimiter() == Delimiter::Parenthesis && args.stream().is_empty() => {}
        _ => panic!("#[test] fn {name}: a case takes no arguments and no generics"),
    }
    let body = item[i + 3..].iter().find_map(|token| match token {
        TokenTree::Group(group) if group.delimiter() == Delimiter::Brace => Some(group.stream()),
        _ => None,
    });
    reject_asserts(body.expect("a #[test] fn has a body"));
    name
}

pub(crate) fn kunit_tests(attr: TokenStream, ts: TokenStream) -> TokenStream {
    let args = parse_args(attr);
    let mut tokens: Vec<TokenTree> = ts.into_iter().collect();
    let body = match tokens.pop() {
        Some(TokenTree::Group(body))
            if body.delimiter() == Delimiter::Brace
                && tokens.len() >= 2
                && is_ident(tokens.get(tokens.len() - 2), "mod") =>
        {
            body
        }
        _ => panic!("#[kunit_tests] goes on an inline module: `mod tests {{ ... }}`"),
    };

    // The body without its `#[test]` attributes, and the functions they
    // marked; in an init-section suite these go to `.init.text`.
    let body_tokens: Vec<TokenTree> = body.stream().into_iter().collect();
    let mut items = Vec::new();
    let mut cases = Vec::new();
    let mut i = 0;
    while i < body_tokens.len() {
        if is_punct(body_tokens.get(i), '#')
            && matches!(body_tokens.get(i + 1), Some(TokenTree::Group(g)) if is_test_attribute(g))
        {
            cases.push(test_fn(&body_tokens[i + 2..]));
            if args.init_section {
                items.extend(
                    "#[link_section = \".init.text\"]"
                        .parse::<TokenStream>()
                        .unwrap(),
                );
            }
            i += 2;
            continue;
        }
        items.push(body_tokens[i].clone());
        i += 1;
    }
    if cases.is_empty() {
        panic!("#[kunit_tests] found no `#[test]` function in the module");
    }

    let (text, data, table) = if args.init_section {
        (".init.text", ".ref.data", ".kunit_init_test_suites")
    } else {
        (".text", ".data", ".kunit_test_suites")
    };
    let mut inputs: TokenStream = [TokenTree::Ident(args.suite)].into_iter().collect();
    inputs.extend(
        format!(", {text:?}, {data:?}, {table:?},")
            .parse::<TokenStream>()
            .unwrap(),
    );
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
    // As C's suites, only with built-in KUnit; the cases would be unused.
    let mut module: TokenStream = "#[cfg(CONFIG_KUNIT = \"y\")]".parse().unwrap();
    module.extend(tokens);
    module
}
