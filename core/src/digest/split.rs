//! Splits a digest into messages that fit Discord's limit, only ever between launch lines.

use super::header;

/// `lines` packed in order into as few messages as fit `limit` characters each, breaking only
/// between lines. The first message opens with `header`, each later one with a
/// "(continued 2/3)" marker. No lines, no messages.
///
/// Each line must fit in a message beside the header or the widest marker; `render` holds its
/// lines and header to that at compile time.
pub(super) fn into_messages(header: &str, lines: &[String], limit: usize) -> Vec<String> {
    // A message holds at least one line, so there are never more messages than lines, and the
    // marker for that many is the widest any message will carry.
    let marker_chars = header::continuation(lines.len(), lines.len())
        .chars()
        .count();

    let mut groups: Vec<&[String]> = Vec::new();
    let mut group_start = 0;
    let mut used = header.chars().count();
    for (index, line) in lines.iter().enumerate() {
        let chars = 1 + line.chars().count();
        if index > group_start && used + chars > limit {
            groups.push(&lines[group_start..index]);
            group_start = index;
            used = marker_chars;
        }
        used += chars;
    }
    if group_start < lines.len() {
        groups.push(&lines[group_start..]);
    }

    let total = groups.len();
    groups
        .into_iter()
        .enumerate()
        .map(|(index, group)| {
            let opening = if index == 0 {
                header.to_string()
            } else {
                header::continuation(index + 1, total)
            };
            let mut message = opening;
            for line in group {
                message.push('\n');
                message.push_str(line);
            }
            message
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(count: usize, chars: usize) -> Vec<String> {
        (0..count)
            .map(|index| format!("{index:0>chars$}"))
            .collect()
    }

    #[test]
    fn lines_that_fit_share_one_message_under_the_header() {
        assert_eq!(
            into_messages("HEAD", &lines(3, 2), 2000),
            vec!["HEAD\n00\n01\n02".to_string()]
        );
    }

    #[test]
    fn a_message_is_filled_to_exactly_the_limit_before_splitting() {
        // "HEAD" + 3 × ("\n" + 5 chars) = 22.
        let messages = into_messages("HEAD", &lines(4, 5), 22);
        assert_eq!(messages[0], "HEAD\n00000\n00001\n00002");
        assert_eq!(messages[1], "(continued 2/2)\n00003");
    }

    #[test]
    fn continuation_messages_are_numbered_out_of_the_total() {
        let messages = into_messages("HEAD", &lines(3, 20), 40);
        assert_eq!(
            messages,
            vec![
                format!("HEAD\n{:0>20}", 0),
                format!("(continued 2/3)\n{:0>20}", 1),
                format!("(continued 3/3)\n{:0>20}", 2),
            ]
        );
    }

    #[test]
    fn no_lines_make_no_messages() {
        assert!(into_messages("HEAD", &[], 2000).is_empty());
    }
}
