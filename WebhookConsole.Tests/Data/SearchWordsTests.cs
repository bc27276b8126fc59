using WebhookConsole.Data.Postgres;

namespace WebhookConsole.Tests.Data;

/// <summary>The words PostgreSQL's text search stores and looks up, cut as SQLite's unicode61 tokenizer cuts them.</summary>
public class SearchWordsTests
{
    [Fact]
    public void Words_are_runs_of_letters_and_digits_lower_cased_with_urls_and_addresses_cut_at_punctuation() =>
        Assert.Equal(["https", "hooks", "example", "facilities", "east", "wing", "to", "jane", "doe", "acme", "test", "id", "sub", "000000042"],
            SearchWords.Words("https://hooks.example/facilities/east-wing?to=Jane.Doe@acme.test {\"id\":\"sub-000000042\"}").ToList());

    [Fact]
    public void Accented_cjk_and_combining_letters_stay_whole_words() =>
        Assert.Equal(["café", "crème", "東京都", "नमस्ते"], SearchWords.Words("Café-Crème 東京都, नमस्ते!").ToList());

    [Fact]
    public void A_vector_lists_each_word_once_with_its_positions()
    {
        Assert.Equal("'the':1,4 'badge':2 'reader':3 'door':5", SearchWords.Vector("The badge reader, the door"));
        Assert.Equal("", SearchWords.Vector("{} -- !!"));
    }

    [Fact]
    public void A_phrase_is_its_words_in_order_and_nothing_for_punctuation_alone()
    {
        Assert.Equal("'facilities' <-> 'east' <-> 'wing'", SearchWords.Phrase("facilities/east-wing"));
        Assert.Null(SearchWords.Phrase("%_\\"));
    }

    [Fact]
    public void Runs_too_long_to_be_words_are_left_out_and_positions_keep_counting()
    {
        var hash = new string('a', 300);
        Assert.Equal("'x':1 'y':2", SearchWords.Vector($"x {hash} y"));
    }
}
