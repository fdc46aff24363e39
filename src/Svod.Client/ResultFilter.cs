using Svod.Client.Protocol;

namespace Svod.Client;

/// <summary>
/// Keeps <see cref="UtteranceStream.Results"/> from going backwards when a replayed utterance's node sends its results
/// again from the beginning: a result passes only if it is news (a later segment, more tokens of the current
/// segment, or the current segment's first final), so the application sees exactly one final per segment and token
/// counts that never shrink within a segment. Not thread-safe: its <see cref="UtteranceStream"/> guards it.
/// </summary>
internal sealed class ResultFilter
{
    private long _segment = -1;
    private int _tokens;
    private bool _final;

    public bool Admit(Result result)
    {
        if (result.Segment > _segment)
        {
            _segment = result.Segment;
            _tokens = result.Tokens.Count;
            _final = result.IsFinal;
            return true;
        }

        if (result.Segment < _segment || _final)
        {
            return false;
        }

        if (result.IsFinal)
        {
            _final = true;
            _tokens = Math.Max(_tokens, result.Tokens.Count);
            return true;
        }

        if (result.Tokens.Count > _tokens)
        {
            _tokens = result.Tokens.Count;
            return true;
        }

        return false;
    }
}
