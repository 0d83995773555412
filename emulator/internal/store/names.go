package store

// Name parts for synthetic people and places. Names are drawn independently
// and combined at random, so no record describes a real person.
var (
	firstNames = []string{
		"Aiden", "Amara", "Ana", "Anika", "Arlo", "Asher", "Aurora", "Beatrix", "Bodhi", "Caleb",
		"Camila", "Cyrus", "Dalia", "Dante", "Delphine", "Eamon", "Elena", "Elias", "Elodie", "Emeka",
		"Esme", "Ezra", "Farah", "Felix", "Freya", "Gideon", "Greta", "Hana", "Hugo", "Idris",
		"Ilse", "Imani", "Ines", "Isla", "Jasper", "Jonah", "Juno", "Kai", "Kalani", "Keira",
		"Kenji", "Lachlan", "Lena", "Leon", "Lila", "Linus", "Lior", "Luca", "Mabel", "Malik",
		"Mara", "Mateo", "Maya", "Milo", "Mira", "Nadia", "Niamh", "Nico", "Nora", "Oisin",
		"Omar", "Orla", "Otto", "Paloma", "Priya", "Quinn", "Rafael", "Rania", "Reza", "Rosa",
		"Rowan", "Ruben", "Saanvi", "Sami", "Sanne", "Selin", "Soren", "Talia", "Tariq", "Thea",
		"Tobias", "Uma", "Valentin", "Vera", "Wren", "Xavier", "Yara", "Yusuf", "Zara", "Zeke",
	}
	middleNames = []string{"", "", "", "James", "Marie", "Lee", "Rose", "Jon", "Ann", "Ray", "Kai", "Jude"}
	lastNames   = []string{
		"Abernathy", "Achterberg", "Adeyemi", "Alvarado", "Amundsen", "Bakshi", "Balogun", "Barrow", "Bellweather", "Bianchi",
		"Brannigan", "Castellano", "Chaudhry", "Cordova", "Dahlberg", "Delacroix", "Dunmore", "Eastwick", "Ekwueme", "Falkner",
		"Fairbanks", "Galloway", "Grunewald", "Haddad", "Halvorsen", "Hargrove", "Ibarra", "Ingersoll", "Jablonski", "Kaminski",
		"Kavanagh", "Kowalczyk", "Lindqvist", "Lockhart", "Mackenzie", "Marchetti", "Moreau", "Nakamura", "Nwosu", "Oakes",
		"Okonkwo", "Ostrowski", "Pemberton", "Petrakis", "Quintero", "Radcliffe", "Rasmussen", "Rinaldi", "Saavedra", "Sandoval",
		"Sato", "Sheridan", "Sorensen", "Takahashi", "Thorne", "Trevino", "Underhill", "Valdivia", "Vasquez", "Wakefield",
		"Whitlock", "Winslow", "Yamamoto", "Yilmaz", "Zamora", "Zielinski", "Ashgrove", "Blackwood", "Copperfield", "Driscoll",
	}
	streetNames = []string{
		"Maple", "Cedar", "Willow", "Juniper", "Aspen", "Birch", "Sycamore", "Hawthorn", "Linden", "Chestnut",
		"Meadow", "Ridge", "Harbor", "Orchard", "Prairie", "Summit", "Valley", "Brook", "Granite", "Lantern",
	}
	streetKinds = []string{"St", "Ave", "Rd", "Ln", "Dr", "Ct", "Way", "Blvd"}
	cities      = []string{"Fairhaven", "Millbrook", "Cedar Falls", "Riverton", "Oakridge", "Westfield", "Brightwater", "Stonebridge"}
	homerooms   = []string{"Acorn", "Beacon", "Comet", "Delta", "Ember", "Falcon", "Glacier", "Harbor", "Iris", "Juniper"}
	languages   = []string{"English", "Spanish", "Vietnamese", "Arabic", "Somali", "Tagalog", "Mandarin", "French"}
	ethnicities = []string{"1", "2", "3", "4", "5", "6", "7"}
	feeTypes    = []string{"Lab Fee", "Activity Fee", "Field Trip", "Yearbook", "Instrument Rental", "Library Fine"}
)

// course is an entry in a school's catalogue; code is the stem of the course
// number.
type course struct {
	code, name string
	credit     float64
}

var (
	elementaryCourses = []course{
		{"HR", "Homeroom", 0}, {"ELA", "English Language Arts", 1}, {"MATH", "Mathematics", 1},
		{"SCI", "Science", 1}, {"SS", "Social Studies", 1}, {"ART", "Art", 0.5}, {"MUS", "Music", 0.5}, {"PE", "Physical Education", 0.5},
	}
	middleCourses = []course{
		{"ENG", "English", 1}, {"MATH", "Mathematics", 1}, {"SCI", "Integrated Science", 1}, {"HIST", "World History", 1},
		{"SPAN", "Spanish", 1}, {"ART", "Visual Art", 0.5}, {"BAND", "Band", 0.5}, {"PE", "Physical Education", 0.5},
		{"TECH", "Technology", 0.5}, {"HLTH", "Health", 0.5},
	}
	highCourses = []course{
		{"ENG", "English", 1}, {"ALG", "Algebra", 1}, {"GEOM", "Geometry", 1}, {"BIO", "Biology", 1}, {"CHEM", "Chemistry", 1},
		{"PHYS", "Physics", 1}, {"USH", "U.S. History", 1}, {"GOV", "Government", 0.5}, {"ECON", "Economics", 0.5},
		{"SPAN", "Spanish", 1}, {"FREN", "French", 1}, {"ART", "Studio Art", 1}, {"CHOR", "Chorus", 1}, {"PE", "Physical Education", 0.5},
		{"CSCI", "Computer Science", 1}, {"PSYC", "Psychology", 0.5},
	}
)
